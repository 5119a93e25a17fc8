// Tests of workers/data/image.h: determinism, distinct anti-aliased shapes, recoverable colours,
// the requested noise level, and the symbolic features. Coverage is read back from the pixels
// by comparing a render with and without the object under the same rng state.
#include "workers/data/image.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

namespace florenz::data {
namespace {

PlacedObject Object(Shape shape, Colour colour, float x = 0.5f, float y = 0.5f,
                    float radius = 0.4f) {
  PlacedObject o;
  o.attributes.shape = shape;
  o.attributes.colour = colour;
  o.x = x;
  o.y = y;
  o.radius = radius;
  return o;
}

Scene SceneOf(std::vector<PlacedObject> objects) {
  Scene s;
  s.objects = std::move(objects);
  return s;
}

std::vector<float> Render(const Scene& scene, int size, double noise, uint64_t index = 0) {
  SampleRng rng(42, Split::kPreview, index);
  return RenderImage(scene, size, noise, rng);
}

// Per-pixel coverage of one black object, (background - pixel) / (background - black) in the
// red channel, from two noise-free renders with the same background.
std::vector<float> Coverage(Shape shape, int size, float radius = 0.4f) {
  const std::vector<float> empty = Render(Scene{}, size, 0.0);
  const std::vector<float> drawn =
      Render(SceneOf({Object(shape, Colour::kBlack, 0.5f, 0.5f, radius)}), size, 0.0);
  const float black = PaletteColour(Colour::kBlack)[0];
  std::vector<float> coverage(size * size);
  for (int i = 0; i < size * size; ++i) {
    coverage[i] = (empty[i] - drawn[i]) / (empty[i] - black);
  }
  return coverage;
}

double Sum(const std::vector<float>& v) {
  double s = 0;
  for (float x : v) s += x;
  return s;
}

std::string Name(Shape s) { return std::to_string(static_cast<int>(s)) + " " + ShapeName(s); }

TEST(RenderImageTest, SizeAndRange) {
  const Scene scene = SceneOf({Object(Shape::kStar, Colour::kWhite, 0.3f, 0.3f, 0.2f),
                               Object(Shape::kCircle, Colour::kBlack, 0.7f, 0.7f, 0.2f)});
  const std::vector<float> image = Render(scene, 32, 0.5);
  ASSERT_EQ(image.size(), 3u * 32 * 32);
  for (float v : image) {
    ASSERT_GE(v, 0.0f);
    ASSERT_LE(v, 1.0f);
  }
}

TEST(RenderImageTest, DeterministicAndRngDependent) {
  const Scene scene = SceneOf({Object(Shape::kBatAnimal, Colour::kRed, 0.25f, 0.3f, 0.1f),
                               Object(Shape::kBowArc, Colour::kBlue, 0.75f, 0.7f, 0.16f)});
  SampleRng a(7, Split::kTrain, 123), b(7, Split::kTrain, 123), c(7, Split::kTrain, 124);
  const std::vector<float> ia = RenderImage(scene, 32, 0.1, a);
  const std::vector<float> ib = RenderImage(scene, 32, 0.1, b);
  const std::vector<float> ic = RenderImage(scene, 32, 0.1, c);
  ASSERT_EQ(ia.size(), ib.size());
  EXPECT_EQ(std::memcmp(ia.data(), ib.data(), ia.size() * sizeof(float)), 0);
  EXPECT_NE(ia, ic);
  EXPECT_EQ(a.Next(), b.Next());
}

TEST(RenderImageTest, DrawsDependOnlyOnSize) {
  SampleRng a(1, Split::kTrain, 5), b(1, Split::kTrain, 5);
  RenderImage(Scene{}, 32, 0.0, a);
  RenderImage(SceneOf({Object(Shape::kStar, Colour::kRed), Object(Shape::kCross, Colour::kRed)}),
              32, 0.3, b);
  EXPECT_EQ(a.Next(), b.Next());
}

TEST(RenderImageTest, ShapeAreasArePlausible) {
  // Analytic areas in radius² units of the shapes with simple outlines.
  const double pi = 3.14159265358979;
  const std::vector<std::pair<Shape, double>> known = {
      {Shape::kCircle, pi * 0.92 * 0.92},         {Shape::kSquare, 4 * 0.76 * 0.76},
      {Shape::kTriangle, 0.5 * 1.9 * 1.65},       {Shape::kStar, 5 * 1.0 * 0.42 * std::sin(pi / 5)},
      {Shape::kCross, 2 * 1.9 * 0.6 - 0.6 * 0.6}, {Shape::kDiamond, 2 * 0.68},
  };
  const int size = 64;
  const double r = 0.4 * size;
  for (const auto& [shape, area] : known) {
    EXPECT_NEAR(Sum(Coverage(shape, size)) / (r * r), area, 0.03 * area) << Name(shape);
  }
  // Every shape: between a tenth and nearly all of its bounding disc.
  for (int s = 0; s < kShapes; ++s) {
    const double fraction = Sum(Coverage(static_cast<Shape>(s), size)) / (pi * r * r);
    EXPECT_GT(fraction, 0.1) << Name(static_cast<Shape>(s));
    EXPECT_LT(fraction, 0.9) << Name(static_cast<Shape>(s));
  }
}

TEST(RenderImageTest, ShapesAreDistinctAtSixteenPixels) {
  // One shape per 16-pixel cell, as in a 32-pixel image of two objects: the coverage masks
  // of any two shapes differ by several pixels' worth.
  const int size = 16;
  std::vector<std::vector<float>> masks;
  for (int s = 0; s < kShapes; ++s) masks.push_back(Coverage(static_cast<Shape>(s), size));
  for (int a = 0; a < kShapes; ++a) {
    for (int b = a + 1; b < kShapes; ++b) {
      double diff = 0;
      for (int i = 0; i < size * size; ++i) diff += std::abs(masks[a][i] - masks[b][i]);
      EXPECT_GT(diff, 12.0) << Name(static_cast<Shape>(a)) << " vs " << Name(static_cast<Shape>(b));
    }
  }
}

TEST(RenderImageTest, EdgesAreAntiAliased) {
  for (int s = 0; s < kShapes; ++s) {
    const std::vector<float> mask = Coverage(static_cast<Shape>(s), 32);
    int partial = 0;
    for (float c : mask) partial += c > 0.05f && c < 0.95f;
    EXPECT_GE(partial, 30) << Name(static_cast<Shape>(s));
  }
}

TEST(RenderImageTest, ColoursAreRecoverableAndDistinct) {
  const int size = 32;
  const std::vector<float> background = Render(Scene{}, size, 0.0);
  for (int c = 0; c < kColours; ++c) {
    const Colour colour = static_cast<Colour>(c);
    const std::array<float, 3> rgb = PaletteColour(colour);
    const std::vector<float> image = Render(SceneOf({Object(Shape::kSquare, colour)}), size, 0.0);
    // The central 8 × 8 pixels lie well inside the square (half-side 0.76 · 12.8 px).
    for (int ch = 0; ch < 3; ++ch) {
      double mean = 0;
      for (int row = 12; row < 20; ++row) {
        for (int col = 12; col < 20; ++col) mean += image[(ch * size + row) * size + col];
      }
      EXPECT_NEAR(mean / 64, rgb[ch], 1e-5) << ColourName(colour) << " channel " << ch;
    }
    // Far from the background in at least one channel, at every pixel of several backgrounds.
    for (uint64_t index = 0; index < 20; ++index) {
      const std::vector<float> bg = Render(Scene{}, 8, 0.0, index);
      for (int i = 0; i < 64; ++i) {
        float far = 0;
        for (int ch = 0; ch < 3; ++ch) far = std::max(far, std::abs(bg[ch * 64 + i] - rgb[ch]));
        ASSERT_GT(far, 0.25f) << ColourName(colour) << " background " << index;
      }
    }
    for (int d = c + 1; d < kColours; ++d) {
      const std::array<float, 3> other = PaletteColour(static_cast<Colour>(d));
      float far = 0;
      for (int ch = 0; ch < 3; ++ch) far = std::max(far, std::abs(other[ch] - rgb[ch]));
      EXPECT_GT(far, 0.3f) << ColourName(colour) << " vs " << ColourName(static_cast<Colour>(d));
    }
  }
}

TEST(RenderImageTest, NoiseHasRequestedStandardDeviation) {
  for (double noise : {0.02, 0.1}) {
    const std::vector<float> clean = Render(Scene{}, 64, 0.0);
    const std::vector<float> noisy = Render(Scene{}, 64, noise);
    double sum = 0, sum2 = 0;
    for (size_t i = 0; i < clean.size(); ++i) {
      const double d = noisy[i] - clean[i];
      sum += d;
      sum2 += d * d;
    }
    const double n = static_cast<double>(clean.size());
    const double mean = sum / n;
    EXPECT_NEAR(mean, 0.0, 4 * noise / std::sqrt(n));
    EXPECT_NEAR(std::sqrt(sum2 / n - mean * mean), noise, 0.03 * noise);
  }
}

TEST(RenderImageTest, BackgroundIsTexturedNotFlat) {
  const std::vector<float> bg = Render(Scene{}, 32, 0.0);
  float lo = 1, hi = 0;
  for (int i = 0; i < 32 * 32; ++i) {
    lo = std::min(lo, bg[i]);
    hi = std::max(hi, bg[i]);
  }
  EXPECT_GT(hi - lo, 0.01f);
  EXPECT_LT(hi - lo, 0.3f);
  EXPECT_NE(bg, Render(Scene{}, 32, 0.0, 1));
}

TEST(SymbolicFeaturesTest, OneHotsAndCentresWithoutNoise) {
  ASSERT_EQ(SymbolicFeatureSize(), 22);
  PlacedObject a = Object(Shape::kBatClub, Colour::kOrange, 0.2f, 0.7f);
  a.attributes.size = ObjectSize::kLarge;
  const PlacedObject b = Object(Shape::kSquare, Colour::kGreen, 0.8f, 0.1f);
  SampleRng rng(3, Split::kTrain, 0);
  const std::vector<float> f = SymbolicFeatures(SceneOf({a, b}), 0.0, rng);
  ASSERT_EQ(f.size(), 44u);
  std::vector<float> want_a(22, 0.0f), want_b(22, 0.0f);
  want_a[static_cast<int>(Shape::kBatClub)] = 1;
  want_a[kShapes + static_cast<int>(Colour::kOrange)] = 1;
  want_a[kShapes + kColours + 1] = 1;
  want_a[20] = 0.2f;
  want_a[21] = 0.7f;
  want_b[static_cast<int>(Shape::kSquare)] = 1;
  want_b[kShapes + static_cast<int>(Colour::kGreen)] = 1;
  want_b[kShapes + kColours + 0] = 1;
  want_b[20] = 0.8f;
  want_b[21] = 0.1f;
  EXPECT_EQ(std::vector<float>(f.begin(), f.begin() + 22), want_a);
  EXPECT_EQ(std::vector<float>(f.begin() + 22, f.end()), want_b);
}

TEST(SymbolicFeaturesTest, NoiseLevelAndDeterminism) {
  const Scene scene = SceneOf({Object(Shape::kStar, Colour::kBlue, 0.3f, 0.6f)});
  SampleRng rng(9, Split::kTrain, 0);
  const std::vector<float> clean = SymbolicFeatures(scene, 0.0, rng);
  double sum2 = 0;
  int n = 0;
  for (int i = 0; i < 2000; ++i) {
    SampleRng r(9, Split::kTrain, i);
    const std::vector<float> noisy = SymbolicFeatures(scene, 0.3, r);
    for (size_t k = 0; k < noisy.size(); ++k, ++n) sum2 += std::pow(noisy[k] - clean[k], 2);
  }
  EXPECT_NEAR(std::sqrt(sum2 / n), 0.3, 0.01);
  SampleRng a(9, Split::kTrain, 77), b(9, Split::kTrain, 77);
  EXPECT_EQ(SymbolicFeatures(scene, 0.3, a), SymbolicFeatures(scene, 0.3, b));
}

}  // namespace
}  // namespace florenz::data
