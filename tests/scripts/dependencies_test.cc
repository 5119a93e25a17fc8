// Every dependency that scripts/install-deps installs is found, links, and does real work:
// a failure here names the missing or broken package before any florenz test is confusing.
// SentencePiece is the exception: its protobuf cannot share a process with LibTorch's, so
// tests/workers/data/shards/tokenizer_test.cc (no LibTorch) is its check. The fitting tool's
// Eigen, Ceres and PLplot are checked where florenz builds it (FLORENZ_HAVE_FITTING): a GPU
// node without them builds florenz without `fit` and `report` (scripts/gpu-check).
#ifdef FLORENZ_HAVE_FITTING
#include <ceres/ceres.h>
#include <plplot/plstream.h>

#include <Eigen/Dense>
#endif
#include <gtest/gtest.h>
#include <hdf5.h>
#include <mpi.h>
#include <png.h>
#include <torch/torch.h>
#include <turbojpeg.h>
#include <yaml-cpp/yaml.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#ifdef FLORENZ_HAVE_NCCL
#include <nccl.h>
#endif

namespace {

TEST(DependenciesTest, LibTorchMultipliesMatrices) {
  torch::NoGradGuard no_grad;
  const torch::Tensor a = torch::tensor({1.0f, 2.0f, 3.0f, 4.0f}).reshape({2, 2});
  const torch::Tensor b = torch::mm(a, a);
  EXPECT_FLOAT_EQ(b[0][0].item<float>(), 7.0f);
  EXPECT_FLOAT_EQ(b[1][1].item<float>(), 22.0f);
  torch::set_num_threads(1);
  EXPECT_EQ(torch::get_num_threads(), 1);
}

TEST(DependenciesTest, OpenMpiIsTheMpiLibrary) {
  char version[MPI_MAX_LIBRARY_VERSION_STRING];
  int length = 0;
  ASSERT_EQ(MPI_Get_library_version(version, &length), MPI_SUCCESS);
  EXPECT_NE(std::string(version, length).find("Open MPI"), std::string::npos) << version;
}

TEST(DependenciesTest, Hdf5IsAtLeast110) {
  unsigned major = 0, minor = 0, release = 0;
  ASSERT_GE(H5get_libversion(&major, &minor, &release), 0);
  EXPECT_TRUE(major > 1 || (major == 1 && minor >= 10)) << major << "." << minor;
}

#ifdef FLORENZ_HAVE_FITTING
TEST(DependenciesTest, EigenSolvesALinearSystem) {
  Eigen::Matrix2d a;
  a << 2, 1, 1, 3;
  const Eigen::Vector2d x = a.colPivHouseholderQr().solve(Eigen::Vector2d(3, 5));
  EXPECT_NEAR(x(0), 0.8, 1e-12);
  EXPECT_NEAR(x(1), 1.4, 1e-12);
}

struct ExponentialResidual {
  double x, y;
  template <class T>
  bool operator()(const T* const m, T* residual) const {
    residual[0] = T(y) - exp(m[0] * T(x));
    return true;
  }
};

TEST(DependenciesTest, CeresRecoversAnExponent) {
  double m = 0.0;
  ceres::Problem problem;
  for (int i = 0; i < 20; ++i) {
    const double x = 0.1 * i;
    problem.AddResidualBlock(new ceres::AutoDiffCostFunction<ExponentialResidual, 1, 1>(
                                 new ExponentialResidual{x, std::exp(0.7 * x)}),
                             nullptr, &m);
  }
  ceres::Solver::Options options;
  ceres::Solver::Summary summary;
  ceres::Solve(options, &problem, &summary);
  EXPECT_TRUE(summary.IsSolutionUsable()) << summary.BriefReport();
  EXPECT_NEAR(m, 0.7, 1e-6);
}
#endif  // FLORENZ_HAVE_FITTING

TEST(DependenciesTest, YamlCppReportsPositions) {
  const YAML::Node node = YAML::Load("a:\n  b: 1\n");
  EXPECT_EQ(node["a"]["b"].as<int>(), 1);
  EXPECT_EQ(node["a"]["b"].Mark().line, 1);
}

TEST(DependenciesTest, NlohmannJsonRoundTripsAndEscapes) {
  nlohmann::ordered_json json = {{"b", 1.5}, {"a", "line\n\"quoted\""}};
  json["nan"] = nullptr;
  const std::string text = json.dump();
  EXPECT_EQ(text, "{\"b\":1.5,\"a\":\"line\\n\\\"quoted\\\"\",\"nan\":null}");
  EXPECT_EQ(nlohmann::json::parse(text)["a"], "line\n\"quoted\"");
}

TEST(DependenciesTest, TurboJpegAndLibpngRoundTripPixels) {
  std::vector<unsigned char> rgb(16 * 8 * 3);
  for (size_t i = 0; i < rgb.size(); ++i) rgb[i] = static_cast<unsigned char>(i * 7);
  tjhandle compress = tjInitCompress();
  unsigned char* jpeg = nullptr;
  unsigned long jpeg_size = 0;
  ASSERT_EQ(
      tjCompress2(compress, rgb.data(), 16, 0, 8, TJPF_RGB, &jpeg, &jpeg_size, TJSAMP_444, 90, 0),
      0)
      << tjGetErrorStr2(compress);
  tjhandle decompress = tjInitDecompress();
  int width = 0, height = 0, subsampling = 0, colorspace = 0;
  ASSERT_EQ(
      tjDecompressHeader3(decompress, jpeg, jpeg_size, &width, &height, &subsampling, &colorspace),
      0);
  EXPECT_EQ(width, 16);
  EXPECT_EQ(height, 8);
  tjFree(jpeg);
  tjDestroy(compress);
  tjDestroy(decompress);

  png_image png{};
  png.version = PNG_IMAGE_VERSION;
  png.width = 16;
  png.height = 8;
  png.format = PNG_FORMAT_RGB;
  png_alloc_size_t size = 0;
  ASSERT_TRUE(png_image_write_get_memory_size(png, size, 0, rgb.data(), 0, nullptr));
  std::vector<unsigned char> encoded(size);
  ASSERT_TRUE(png_image_write_to_memory(&png, encoded.data(), &size, 0, rgb.data(), 0, nullptr));
  png_image back{};
  back.version = PNG_IMAGE_VERSION;
  ASSERT_TRUE(png_image_begin_read_from_memory(&back, encoded.data(), size));
  back.format = PNG_FORMAT_RGB;
  std::vector<unsigned char> decoded(PNG_IMAGE_SIZE(back));
  ASSERT_TRUE(png_image_finish_read(&back, nullptr, decoded.data(), 0, nullptr));
  EXPECT_EQ(decoded, rgb);
}

#ifdef FLORENZ_HAVE_FITTING
TEST(DependenciesTest, PlplotCairoDriverWritesPng) {
  const auto file = std::filesystem::temp_directory_path() / "florenz_plplot_test.png";
  std::filesystem::remove(file);
  {
    auto stream = std::make_unique<plstream>();
    stream->sdev("pngcairo");
    stream->sfnam(file.c_str());
    stream->init();
    stream->env(0, 1, 0, 1, 0, 0);
    PLFLT x[2] = {0, 1}, y[2] = {0, 1};
    stream->line(2, x, y);
  }  // plend on destruction writes the file
  std::ifstream in(file, std::ios::binary);
  char magic[4] = {};
  in.read(magic, 4);
  EXPECT_EQ(std::string(magic + 1, 3), "PNG") << "PLplot's pngcairo driver (plplot-driver-cairo)";
}
#endif  // FLORENZ_HAVE_FITTING

// Headless Chromium (Debian's `chromium`) checks the `florenz report` page: it must start as
// root without a display and run the page's JavaScript.
TEST(DependenciesTest, ChromiumRunsHeadless) {
  const std::string command =
      "d=$(mktemp -d); timeout 60 chromium --headless --no-sandbox --disable-gpu --no-first-run "
      "--disable-background-networking --disable-component-update --disable-sync "
      "--user-data-dir=$d --dump-dom "
      "'data:text/html,<p id=x></p><script>x.textContent=6*7</script>' 2>/dev/null; rm -rf $d";
  FILE* pipe = popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string dom;
  char buffer[1024];
  size_t n;
  while ((n = fread(buffer, 1, sizeof(buffer), pipe)) > 0) dom.append(buffer, n);
  pclose(pipe);
  EXPECT_NE(dom.find("<p id=\"x\">42</p>"), std::string::npos)
      << "chromium (scripts/install-deps) did not render a page: " << dom;
}

#ifdef FLORENZ_HAVE_NCCL
TEST(DependenciesTest, NcclLinksAndReportsItsVersion) {
  int version = 0;
  ASSERT_EQ(ncclGetVersion(&version), ncclSuccess);
  EXPECT_GT(version, 0);
}
#endif

}  // namespace
