// Rendering of scenes to small RGB images and to symbolic per-object feature vectors.
// Shapes are signed distance functions in object-local units (radius 1, y down), tabulated once
// and read bilinearly, so every pixel's coverage at every size costs one lookup, no supersampling.
#include "workers/data/image.h"

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace florenz::data {
namespace {

struct V2 {
  float x, y;
};

inline float Dot(V2 a, V2 b) { return a.x * b.x + a.y * b.y; }
inline float Length(float x, float y) { return std::sqrt(x * x + y * y); }

// Distance to a centred axis-aligned box of half-sides (hx, hy); negative inside.
inline float BoxSdf(float u, float v, float hx, float hy) {
  const float qx = std::abs(u) - hx;
  const float qy = std::abs(v) - hy;
  return Length(std::max(qx, 0.0f), std::max(qy, 0.0f)) + std::min(std::max(qx, qy), 0.0f);
}

// A closed polygon with its edges precomputed, so the per-pixel loop has no divisions.
// Exact distance to the outline, negative inside (crossing-number sign, any orientation).
template <int N>
struct Polygon {
  V2 v[N];
  V2 e[N];          // v[j] - v[i] for the edge ending at vertex i (j = i - 1)
  float inv_ee[N];  // 1 / |e|²

  explicit Polygon(const V2 (&vertices)[N]) {
    for (int i = 0; i < N; ++i) v[i] = vertices[i];
    for (int i = 0, j = N - 1; i < N; j = i, ++i) {
      e[i] = {v[j].x - v[i].x, v[j].y - v[i].y};
      inv_ee[i] = 1.0f / Dot(e[i], e[i]);
    }
  }

  float Sdf(float u, float v_) const {
    float d2 = 1e30f;
    bool inside = false;
    for (int i = 0, j = N - 1; i < N; j = i, ++i) {
      const V2 w = {u - v[i].x, v_ - v[i].y};
      const float t = std::clamp(Dot(w, e[i]) * inv_ee[i], 0.0f, 1.0f);
      const float bx = w.x - e[i].x * t;
      const float by = w.y - e[i].y * t;
      d2 = std::min(d2, bx * bx + by * by);
      const bool c1 = v_ >= v[i].y;
      const bool c2 = v_ < v[j].y;
      const bool c3 = e[i].x * w.y > e[i].y * w.x;
      if ((c1 && c2 && c3) || (!c1 && !c2 && !c3)) inside = !inside;
    }
    const float d = std::sqrt(d2);
    return inside ? -d : d;
  }
};

// The polygonal shapes, built once. Coordinates: object radius 1, x right, y down, so "up" is
// negative y. Each shape stays within kExtent of the centre along each axis.
struct Polygons {
  Polygon<3> triangle{{{0.0f, -0.95f}, {0.95f, 0.70f}, {-0.95f, 0.70f}}};
  Polygon<4> diamond{{{0.0f, -1.0f}, {0.68f, 0.0f}, {0.0f, 1.0f}, {-0.68f, 0.0f}}};
  // Right half of the bow tie; mirrored through |x|. Its tip reaches past x = 0 so the two
  // halves overlap instead of meeting in a zero-width point the ramp would grey out.
  Polygon<3> bow_half{{{1.0f, -0.75f}, {1.0f, 0.75f}, {-0.08f, 0.0f}}};
  // Right wing of the bat (mirrored through |x|): upper edge sweeping up to the wing tip, lower
  // edge scalloped into three points. It extends to x = -0.25 so the mirror seam at x = 0 lies
  // deep inside the body rather than on a polygon edge.
  Polygon<10> bat_wing{{{-0.25f, -0.30f},
                        {0.22f, -0.36f},
                        {0.60f, -0.62f},
                        {1.00f, -0.78f},
                        {0.92f, 0.10f},
                        {0.76f, -0.06f},
                        {0.60f, 0.34f},
                        {0.45f, 0.14f},
                        {0.28f, 0.48f},
                        {-0.25f, 0.40f}}};
  // Bat ear (right one; mirrored).
  Polygon<3> bat_ear{{{0.02f, -0.45f}, {0.20f, -0.80f}, {0.24f, -0.40f}}};
  Polygon<10> star = MakeStar();

  static Polygon<10> MakeStar() {
    V2 vertices[10];
    for (int i = 0; i < 10; ++i) {
      // Outer points at radius 1, inner at 0.42, first point straight up; shifted down a
      // little so the star's bounding box is centred.
      const double angle = -M_PI / 2 + i * M_PI / 5;
      const double r = i % 2 == 0 ? 1.0 : 0.42;
      vertices[i] = {static_cast<float>(r * std::cos(angle)),
                     static_cast<float>(r * std::sin(angle) + 0.09)};
    }
    return Polygon<10>(vertices);
  }
};

const Polygons& Shapes() {
  static const Polygons polygons;
  return polygons;
}

// Bow (archer's): a thick arc bulging left, closed on the right by a thin straight string.
// The arc is the part of the circle (centre (kArcCx, 0), radius kArcR) left of the string at
// x = kStringX, whose ends are (kStringX, ±kStringHalf).
constexpr float kBowShift = 0.12f;  // moves the whole bow right so its box is centred
constexpr float kStringX = 0.40f;
constexpr float kStringHalf = 0.92f;
constexpr float kArcCx = 0.0606f;
constexpr float kArcR = 0.9806f;  // kArcCx + 0.92, the circle through the string ends
constexpr float kArcHalfWidth = 0.15f;
constexpr float kStringHalfWidth = 0.065f;

float BowArcSdf(float u, float v) {
  u -= kBowShift;
  const float qx = u - kArcCx;
  const float qy = v;
  const float len = Length(qx, qy);
  // Inside the arc's angular sector when the direction from the circle's centre points left of
  // the string's ends: cos(angle) = qx / len <= (kStringX - kArcCx) / kArcR.
  float arc;
  if (qx * kArcR <= (kStringX - kArcCx) * len) {
    arc = std::abs(len - kArcR) - kArcHalfWidth;
  } else {
    const float ex = kStringX - u;
    const float ey = kStringHalf - std::abs(v);
    arc = Length(ex, ey) - kArcHalfWidth;
  }
  const float sy = std::max(std::abs(v) - kStringHalf, 0.0f);
  const float string = Length(u - kStringX, sy) - kStringHalfWidth;
  return std::min(arc, string);
}

float BatAnimalSdf(float u, float v) {
  const Polygons& s = Shapes();
  const float au = std::abs(u);
  const float body = Length(u / 0.8f, v - 0.08f) * 0.8f - 0.30f;  // slightly tall ellipse
  const float head = Length(u, v + 0.36f) - 0.21f;
  return std::min({body, head, s.bat_wing.Sdf(au, v), s.bat_ear.Sdf(au, v)});
}

// Baseball bat, diagonal from lower left (handle, knob) to upper right (barrel): an uneven
// capsule (round cone) whose radius grows from kHandleR to kBarrelR along the axis.
constexpr float kInvSqrt2 = 0.70710678f;
constexpr float kHandleT = -0.82f;  // axis positions of the two end circles
constexpr float kBarrelT = 0.70f;
constexpr float kHandleR = 0.10f;
constexpr float kBarrelR = 0.28f;
constexpr float kKnobT = -0.88f;
constexpr float kKnobR = 0.14f;

float BatClubSdf(float u, float v) {
  // Axis direction (1, -1)/√2: right and up.
  const float t = (u - v) * kInvSqrt2;
  const float n = std::abs((u + v) * kInvSqrt2);
  const float h = kBarrelT - kHandleT;
  const float b = (kHandleR - kBarrelR) / h;
  const float a = std::sqrt(1.0f - b * b);
  const float py = t - kHandleT;
  const float k = -b * n + a * py;
  float cone;
  if (k < 0.0f) {
    cone = Length(n, py) - kHandleR;
  } else if (k > a * h) {
    cone = Length(n, py - h) - kBarrelR;
  } else {
    cone = a * n + b * py - kHandleR;
  }
  const float knob = Length(n, t - kKnobT) - kKnobR;
  return std::min(cone, knob);
}

// Every shape lies within kExtent radii of its centre along each axis (the widest, the bow's
// arc ends, reach 1.07); the tables below cover that square and a margin.
constexpr float kExtent = 1.1f;

float ShapeSdf(Shape shape, float u, float v) {
  const Polygons& s = Shapes();
  switch (shape) {
    case Shape::kCircle:
      return Length(u, v) - 0.92f;
    case Shape::kSquare:
      return BoxSdf(u, v, 0.76f, 0.76f);
    case Shape::kTriangle:
      return s.triangle.Sdf(u, v);
    case Shape::kStar:
      return s.star.Sdf(u, v);
    case Shape::kCross:
      return std::min(BoxSdf(u, v, 0.95f, 0.30f), BoxSdf(u, v, 0.30f, 0.95f));
    case Shape::kDiamond:
      return s.diamond.Sdf(u, v);
    case Shape::kBowRibbon:
      // Two triangles plus a small knot where they meet.
      return std::min(s.bow_half.Sdf(std::abs(u), v), BoxSdf(u, v, 0.16f, 0.24f));
    case Shape::kBowArc:
      return BowArcSdf(u, v);
    case Shape::kBatAnimal:
      return BatAnimalSdf(u, v);
    case Shape::kBatClub:
      return BatClubSdf(u, v);
  }
  return 1e30f;
}

// Each shape's signed distance sampled on a kGrid × kGrid lattice over [-kExtent, kExtent]²
// (spacing 0.017 radii, a quarter pixel at the 64-pixel image's largest objects) and read back
// bilinearly: one table read per pixel instead of up to 15 polygon edges. 640 KiB, built once.
constexpr int kGrid = 128;
constexpr float kStep = 2 * kExtent / (kGrid - 1);

struct SdfTables {
  std::vector<float> d[kShapes];

  SdfTables() {
    for (int s = 0; s < kShapes; ++s) {
      d[s].resize(kGrid * kGrid);
      for (int j = 0; j < kGrid; ++j) {
        for (int i = 0; i < kGrid; ++i) {
          d[s][j * kGrid + i] =
              ShapeSdf(static_cast<Shape>(s), -kExtent + i * kStep, -kExtent + j * kStep);
        }
      }
    }
  }
};

const SdfTables& Tables() {
  static const SdfTables tables;
  return tables;
}

// Lattice coordinate of an offset in radii, clamped to the table; `excess` collects how far
// outside it the point lies, which is added to the distance (outside, everything is far).
inline float LatticeCoordinate(float u, float& excess) {
  excess += std::max(std::abs(u) - kExtent, 0.0f);
  return std::clamp((u + kExtent) * (1.0f / kStep), 0.0f, kGrid - 1.001f);
}

// Draws one object: coverage = clamp(0.5 - distance in pixels) is a 1-pixel ramp (the exact
// area coverage for straight edges), blended over what is already in the image.
void Draw(const PlacedObject& o, int size, float* image) {
  const std::array<float, 3> rgb = PaletteColour(o.attributes.colour);
  const float* table = Tables().d[static_cast<int>(o.attributes.shape)].data();
  const float cx = o.x * size;
  const float cy = o.y * size;
  const float r = std::max(o.radius * size, 0.5f);
  const float inv_r = 1.0f / r;
  const float reach = kExtent * r + 1.0f;
  const int col0 = std::max(0, static_cast<int>(std::floor(cx - reach)));
  const int col1 = std::min(size - 1, static_cast<int>(std::ceil(cx + reach)));
  const int row0 = std::max(0, static_cast<int>(std::floor(cy - reach)));
  const int row1 = std::min(size - 1, static_cast<int>(std::ceil(cy + reach)));
  const int plane = size * size;
  for (int row = row0; row <= row1; ++row) {
    float excess_v = 0.0f;
    const float gy = LatticeCoordinate((row + 0.5f - cy) * inv_r, excess_v);
    const int j = static_cast<int>(gy);
    const float ty = gy - j;
    const float* line0 = table + j * kGrid;
    const float* line1 = line0 + kGrid;
    for (int col = col0; col <= col1; ++col) {
      float excess = excess_v;
      const float gx = LatticeCoordinate((col + 0.5f - cx) * inv_r, excess);
      const int i = static_cast<int>(gx);
      const float tx = gx - i;
      const float top = line0[i] + (line0[i + 1] - line0[i]) * tx;
      const float bottom = line1[i] + (line1[i + 1] - line1[i]) * tx;
      const float d = top + (bottom - top) * ty + excess;
      const float coverage = std::clamp(0.5f - d * r, 0.0f, 1.0f);
      if (coverage <= 0.0f) continue;
      float* px = image + row * size + col;
      for (int c = 0; c < 3; ++c) px[c * plane] += (rgb[c] - px[c * plane]) * coverage;
    }
  }
}

// Unit-normal quantiles at the midpoints of 4096 equal-probability bins, scaled to variance 1
// exactly. A 12-bit index picks one, so one 64-bit draw yields five normals without log/cos.
constexpr int kNormalBits = 12;
constexpr int kNormalLevels = 1 << kNormalBits;

const std::array<float, kNormalLevels>& NormalTable() {
  static const std::array<float, kNormalLevels> table = [] {
    std::array<double, kNormalLevels> q{};
    for (int k = kNormalLevels / 2; k < kNormalLevels; ++k) {
      // Bisection on Φ(x) = erfc(-x/√2)/2: slow, but runs once and is exact to double.
      const double p = (k + 0.5) / kNormalLevels;
      double lo = 0.0, hi = 8.0;
      for (int it = 0; it < 60; ++it) {
        const double mid = 0.5 * (lo + hi);
        (0.5 * std::erfc(-mid / std::sqrt(2.0)) < p ? lo : hi) = mid;
      }
      q[k] = 0.5 * (lo + hi);
      q[kNormalLevels - 1 - k] = -q[k];  // exact symmetry: mean 0
    }
    double var = 0.0;
    for (double x : q) var += x * x;
    const double scale = 1.0 / std::sqrt(var / kNormalLevels);
    std::array<float, kNormalLevels> t{};
    for (int k = 0; k < kNormalLevels; ++k) t[k] = static_cast<float>(q[k] * scale);
    return t;
  }();
  return table;
}

// The background: grey with a faint per-channel tint, a linear gradient and a low-frequency
// product of cosines. Separable, so the trigonometry is 2 × size calls per image.
// cos(start), cos(start + step), cos(start + 2 step), … by complex rotation.
class Rotation {
 public:
  Rotation(double start, double step)
      : c_(std::cos(start)), s_(std::sin(start)), dc_(std::cos(step)), ds_(std::sin(step)) {}
  double Next() {
    const double value = c_;
    const double c = c_ * dc_ - s_ * ds_;
    s_ = s_ * dc_ + c_ * ds_;
    c_ = c;
    return value;
  }

 private:
  double c_, s_, dc_, ds_;
};

void FillBackground(int size, SampleRng& rng, float* image) {
  float base[3];
  const float grey = 0.50f + 0.08f * static_cast<float>(rng.Uniform());
  for (float& b : base) b = grey + 0.06f * static_cast<float>(rng.Uniform() - 0.5);
  const float gx = 0.12f * static_cast<float>(rng.Uniform() - 0.5);
  const float gy = 0.12f * static_cast<float>(rng.Uniform() - 0.5);
  const float amplitude = 0.02f + 0.03f * static_cast<float>(rng.Uniform());
  const double fx = M_PI * (1.0 + 2.0 * rng.Uniform());  // 0.5 to 1.5 periods per image
  const double fy = M_PI * (1.0 + 2.0 * rng.Uniform());
  const double phx = 2.0 * M_PI * rng.Uniform();
  const double phy = 2.0 * M_PI * rng.Uniform();

  // Per column: gradient term and wave factor; per row likewise. One buffer, not one per row.
  std::vector<float> terms(4 * static_cast<size_t>(size));
  float* col_add = terms.data();
  float* col_wave = col_add + size;
  float* row_add = col_wave + size;
  float* row_wave = row_add + size;
  // The waves by rotation, cos(a + kΔ) from cos and sin of a + (k-1)Δ, so an image costs four
  // trigonometric calls rather than 2 × size; the drift over 64 steps is ~1e-14.
  const double step = 1.0 / size;
  Rotation wave_x(fx * 0.5 * step + phx, fx * step), wave_y(fy * 0.5 * step + phy, fy * step);
  for (int i = 0; i < size; ++i) {
    const float t = static_cast<float>((i + 0.5) * step - 0.5);
    col_add[i] = gx * t;
    row_add[i] = gy * t;
    col_wave[i] = amplitude * static_cast<float>(wave_x.Next());
    row_wave[i] = static_cast<float>(wave_y.Next());
  }
  const int plane = size * size;
  for (int c = 0; c < 3; ++c) {
    for (int row = 0; row < size; ++row) {
      float* line = image + c * plane + row * size;
      const float offset = base[c] + row_add[row];
      const float wave = row_wave[row];
      for (int col = 0; col < size; ++col) line[col] = offset + col_add[col] + col_wave[col] * wave;
    }
  }
}

void AddNoise(double noise, SampleRng& rng, std::vector<float>& image) {
  const float* table = NormalTable().data();
  const float sigma = static_cast<float>(noise);
  constexpr int kPerDraw = 64 / kNormalBits;  // 5
  constexpr uint64_t kMask = kNormalLevels - 1;
  float* px = image.data();
  const size_t n = image.size();
  const size_t blocks = n / kPerDraw;
  // Whole draws, unrolled, then the remainder from one last draw.
  for (size_t b = 0; b < blocks; ++b, px += kPerDraw) {
    const uint64_t bits = rng.Next();
    for (int k = 0; k < kPerDraw; ++k) {
      const float z = table[(bits >> (kNormalBits * k)) & kMask];
      px[k] = std::clamp(px[k] + sigma * z, 0.0f, 1.0f);
    }
  }
  if (const size_t rest = n - blocks * kPerDraw; rest > 0) {
    const uint64_t bits = rng.Next();
    for (size_t k = 0; k < rest; ++k) {
      const float z = table[(bits >> (kNormalBits * k)) & kMask];
      px[k] = std::clamp(px[k] + sigma * z, 0.0f, 1.0f);
    }
  }
}

}  // namespace

std::array<float, 3> PaletteColour(Colour colour) {
  switch (colour) {
    case Colour::kRed:
      return {0.90f, 0.10f, 0.10f};
    case Colour::kGreen:
      return {0.10f, 0.70f, 0.15f};
    case Colour::kBlue:
      return {0.12f, 0.25f, 0.95f};
    case Colour::kYellow:
      return {0.98f, 0.88f, 0.10f};
    case Colour::kPurple:
      return {0.58f, 0.12f, 0.78f};
    case Colour::kOrange:
      return {1.00f, 0.50f, 0.00f};
    case Colour::kWhite:
      return {0.97f, 0.97f, 0.97f};
    case Colour::kBlack:
      return {0.03f, 0.03f, 0.03f};
  }
  return {0.0f, 0.0f, 0.0f};
}

std::vector<float> RenderImage(const Scene& scene, int size, double noise, SampleRng& rng) {
  std::vector<float> image(3 * static_cast<size_t>(size) * size);
  FillBackground(size, rng, image.data());
  for (const PlacedObject& o : scene.objects) Draw(o, size, image.data());
  AddNoise(noise, rng, image);
  return image;
}

int SymbolicFeatureSize() { return kShapes + kColours + kObjectSizes + 2; }

std::vector<float> SymbolicFeatures(const Scene& scene, double noise, SampleRng& rng) {
  const int width = SymbolicFeatureSize();
  std::vector<float> features(scene.objects.size() * width, 0.0f);
  for (size_t i = 0; i < scene.objects.size(); ++i) {
    const PlacedObject& o = scene.objects[i];
    float* row = features.data() + i * width;
    row[static_cast<int>(o.attributes.shape)] = 1.0f;
    row[kShapes + static_cast<int>(o.attributes.colour)] = 1.0f;
    row[kShapes + kColours + static_cast<int>(o.attributes.size)] = 1.0f;
    row[width - 2] = o.x;
    row[width - 1] = o.y;
    for (int k = 0; k < width; ++k) row[k] += static_cast<float>(noise * rng.Normal());
  }
  return features;
}

}  // namespace florenz::data
