// H5Handle and the HDF5 helpers of the results store: every HDF5 C call of the store that is not
// specific to one file kind lives here, wrapped once by H5_CHECK, so errors read the same
// everywhere ("H5Dopen2(...) failed at experiments/h5_handle.cc:120: unable to open dataset: ...").
#include "experiments/h5_handle.h"

#include <algorithm>
#include <cstdio>
#include <mutex>
#include <string_view>
#include <utility>

#include "core/check.h"

namespace florenz {
namespace detail {
namespace {

// Collects the description of each frame of HDF5's error stack, outermost first.
herr_t CollectErrorFrame(unsigned /*n*/, const H5E_error2_t* frame, void* client_data) {
  auto* frames = static_cast<std::vector<std::string>*>(client_data);
  try {
    std::string desc = frame->desc != nullptr ? frame->desc : "";
    if (desc.empty() && frame->func_name != nullptr) desc = std::string(frame->func_name) + "()";
    if (!desc.empty() && (frames->empty() || frames->back() != desc)) frames->push_back(desc);
  } catch (...) {
    return -1;  // Out of memory while reporting an error: stop walking.
  }
  return 0;
}

}  // namespace

void ThrowH5Error(const char* call, const char* source_file, int line) {
  // Walk the stack first: any further HDF5 call would clear it.
  std::vector<std::string> frames;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, CollectErrorFrame, &frames);
  H5Eclear2(H5E_DEFAULT);
  std::string call_name(call);
  call_name = call_name.substr(0, call_name.find('('));
  std::string detail;
  for (const std::string& frame : frames) detail += (detail.empty() ? "" : ": ") + frame;
  if (frames.empty()) detail = "(HDF5 gave no error message)";
  throw H5Error(FailedCallMessage(call_name, source_file, line, detail));
}

}  // namespace detail

void SilenceHdf5ErrorPrinting() {
  static std::once_flag once;
  std::call_once(once, [] {
    // No library clean-up at exit: after a failed write (a full disk) a file's close can fail
    // and leave it open, and HDF5's own atexit close of it then crashed the process (SIGSEGV in
    // H5F__close_cb). Every file florenz writes is closed (or given up) before exit anyway.
    H5dont_atexit();
    H5_CHECK(H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr));
  });
}

// ---- H5Handle ---------------------------------------------------------------------------------

namespace {

herr_t CloseId(hid_t id, H5Handle::Kind kind) {
  switch (kind) {
    case H5Handle::Kind::kFile:
      return H5Fclose(id);
    case H5Handle::Kind::kGroup:
      return H5Gclose(id);
    case H5Handle::Kind::kDataset:
      return H5Dclose(id);
    case H5Handle::Kind::kDataspace:
      return H5Sclose(id);
    case H5Handle::Kind::kDatatype:
      return H5Tclose(id);
    case H5Handle::Kind::kAttribute:
      return H5Aclose(id);
    case H5Handle::Kind::kPropertyList:
      return H5Pclose(id);
  }
  return -1;
}

}  // namespace

H5Handle::~H5Handle() {
  if (!valid()) return;
  if (CloseId(id_, kind_) < 0) {
    std::fprintf(stderr, "florenz: warning: closing an HDF5 id (kind %d) failed\n",
                 static_cast<int>(kind_));
    H5Eclear2(H5E_DEFAULT);
  }
}

H5Handle::H5Handle(H5Handle&& other) noexcept
    : id_(std::exchange(other.id_, H5I_INVALID_HID)), kind_(other.kind_) {}

H5Handle& H5Handle::operator=(H5Handle&& other) noexcept {
  if (this != &other) {
    H5Handle old(std::move(*this));  // Closes the current id on scope exit.
    id_ = std::exchange(other.id_, H5I_INVALID_HID);
    kind_ = other.kind_;
  }
  return *this;
}

void H5Handle::Close() {
  if (!valid()) return;
  const hid_t id = std::exchange(id_, H5I_INVALID_HID);
  H5_CHECK(CloseId(id, kind_));
}

// ---- Files and groups -------------------------------------------------------------------------

namespace {

H5Handle FileAccessList() {
  auto fapl = H5Handle::PropertyList(H5_CHECK(H5Pcreate(H5P_FILE_ACCESS)));
  H5_CHECK(H5Pset_libver_bounds(fapl.get(), H5F_LIBVER_V18, H5F_LIBVER_LATEST));
  // Lock-free: files are written under a temporary name and renamed into place, so no reader
  // ever opens a file that is being written; and flock() is missing on some cluster filesystems.
  H5_CHECK(H5Pset_file_locking(fapl.get(), /*use_file_locking=*/false,
                               /*ignore_when_disabled=*/true));
  return fapl;
}

}  // namespace

H5Handle CreateFileTruncate(const std::filesystem::path& file) {
  H5Handle fapl = FileAccessList();
  H5_CHECK(H5Pset_fclose_degree(fapl.get(), H5F_CLOSE_SEMI));
  return H5Handle::File(H5_CHECK(H5Fcreate(file.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl.get())));
}

H5Handle OpenFileReadOnly(const std::filesystem::path& file) {
  H5Handle fapl = FileAccessList();
  return H5Handle::File(H5_CHECK(H5Fopen(file.c_str(), H5F_ACC_RDONLY, fapl.get())));
}

H5Handle CreateGroup(hid_t loc, const std::string& name) {
  return H5Handle::Group(
      H5_CHECK(H5Gcreate2(loc, name.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT)));
}

H5Handle OpenGroup(hid_t loc, const std::string& name) {
  return H5Handle::Group(H5_CHECK(H5Gopen2(loc, name.c_str(), H5P_DEFAULT)));
}

bool LinkExists(hid_t loc, const std::string& name) {
  return H5_CHECK(H5Lexists(loc, name.c_str(), H5P_DEFAULT)) > 0;
}

namespace {

herr_t CollectLinkName(hid_t /*group*/, const char* name, const H5L_info_t* /*info*/, void* data) {
  try {
    static_cast<std::vector<std::string>*>(data)->emplace_back(name);
  } catch (...) {
    return -1;
  }
  return 0;
}

herr_t CollectAttributeName(hid_t /*loc*/, const char* name, const H5A_info_t* /*info*/,
                            void* data) {
  try {
    static_cast<std::vector<std::string>*>(data)->emplace_back(name);
  } catch (...) {
    return -1;
  }
  return 0;
}

}  // namespace

std::vector<std::string> LinkNames(hid_t group) {
  std::vector<std::string> names;
  hsize_t index = 0;
  H5_CHECK(H5Literate(group, H5_INDEX_NAME, H5_ITER_INC, &index, CollectLinkName, &names));
  return names;
}

// ---- Attributes -------------------------------------------------------------------------------

namespace {

H5Handle Utf8StringType() {
  auto type = H5Handle::Datatype(H5_CHECK(H5Tcopy(H5T_C_S1)));
  H5_CHECK(H5Tset_size(type.get(), H5T_VARIABLE));
  H5_CHECK(H5Tset_cset(type.get(), H5T_CSET_UTF8));
  return type;
}

H5Handle ScalarSpace() { return H5Handle::Dataspace(H5_CHECK(H5Screate(H5S_SCALAR))); }

H5Handle OpenAttribute(hid_t loc, const std::string& name) {
  return H5Handle::Attribute(H5_CHECK(H5Aopen(loc, name.c_str(), H5P_DEFAULT)));
}

void WriteScalarAttribute(hid_t loc, const std::string& name, hid_t type, const void* value) {
  H5Handle space = ScalarSpace();
  auto attr = H5Handle::Attribute(
      H5_CHECK(H5Acreate2(loc, name.c_str(), type, space.get(), H5P_DEFAULT, H5P_DEFAULT)));
  H5_CHECK(H5Awrite(attr.get(), type, value));
}

// Reads a string stored with `file_type` through `read` (H5Aread or H5Dread bound to one object).
template <typename ReadFn>
std::vector<std::string> ReadStrings(hid_t file_type, hid_t space, size_t count, ReadFn read) {
  std::vector<std::string> out;
  out.reserve(count);
  if (H5_CHECK(H5Tis_variable_str(file_type)) > 0) {
    H5Handle mem_type = Utf8StringType();
    std::vector<char*> buffer(count, nullptr);
    read(mem_type.get(), buffer.data());
    for (const char* s : buffer) out.emplace_back(s != nullptr ? s : "");
#if H5_VERSION_GE(1, 12, 0)
    H5_CHECK(H5Treclaim(mem_type.get(), space, H5P_DEFAULT, buffer.data()));
#else  // 1.10 declares H5Treclaim in its headers but does not export it.
    H5_CHECK(H5Dvlen_reclaim(mem_type.get(), space, H5P_DEFAULT, buffer.data()));
#endif
  } else {
    const size_t size = H5_CHECK_NONZERO(H5Tget_size(file_type));
    auto mem_type = H5Handle::Datatype(H5_CHECK(H5Tcopy(H5T_C_S1)));
    H5_CHECK(H5Tset_size(mem_type.get(), size));
    std::vector<char> buffer(size * count, '\0');
    read(mem_type.get(), buffer.data());
    for (size_t i = 0; i < count; ++i) {
      std::string s(buffer.data() + i * size, size);
      s.erase(std::find(s.begin(), s.end(), '\0'), s.end());
      out.push_back(std::move(s));
    }
  }
  return out;
}

}  // namespace

bool AttributeExists(hid_t loc, const std::string& name) {
  return H5_CHECK(H5Aexists(loc, name.c_str())) > 0;
}

std::vector<std::string> AttributeNames(hid_t loc) {
  std::vector<std::string> names;
  hsize_t index = 0;
  H5_CHECK(H5Aiterate2(loc, H5_INDEX_NAME, H5_ITER_INC, &index, CollectAttributeName, &names));
  return names;
}

AttributeClass GetAttributeClass(hid_t loc, const std::string& name) {
  H5Handle attr = OpenAttribute(loc, name);
  auto type = H5Handle::Datatype(H5_CHECK(H5Aget_type(attr.get())));
  switch (H5_CHECK(H5Tget_class(type.get()))) {
    case H5T_INTEGER:
    case H5T_FLOAT:
      return AttributeClass::kNumber;
    case H5T_STRING:
      return AttributeClass::kString;
    default:
      return AttributeClass::kOther;
  }
}

void WriteStringAttribute(hid_t loc, const std::string& name, const std::string& value) {
  H5Handle type = Utf8StringType();
  const char* data = value.c_str();
  WriteScalarAttribute(loc, name, type.get(), &data);
}

void WriteDoubleAttribute(hid_t loc, const std::string& name, double value) {
  WriteScalarAttribute(loc, name, H5T_IEEE_F64LE, &value);
}

void WriteInt64Attribute(hid_t loc, const std::string& name, int64_t value) {
  WriteScalarAttribute(loc, name, H5T_STD_I64LE, &value);
}

std::string ReadStringAttribute(hid_t loc, const std::string& name) {
  H5Handle attr = OpenAttribute(loc, name);
  auto type = H5Handle::Datatype(H5_CHECK(H5Aget_type(attr.get())));
  if (H5_CHECK(H5Tget_class(type.get())) != H5T_STRING) {
    throw H5Error("attribute '" + name + "' is not a string");
  }
  auto space = H5Handle::Dataspace(H5_CHECK(H5Aget_space(attr.get())));
  return ReadStrings(type.get(), space.get(), 1, [&](hid_t mem_type, void* buffer) {
    H5_CHECK(H5Aread(attr.get(), mem_type, buffer));
  })[0];
}

double ReadDoubleAttribute(hid_t loc, const std::string& name) {
  H5Handle attr = OpenAttribute(loc, name);
  double value = 0.0;
  H5_CHECK(H5Aread(attr.get(), H5T_NATIVE_DOUBLE, &value));
  return value;
}

int64_t ReadInt64Attribute(hid_t loc, const std::string& name) {
  H5Handle attr = OpenAttribute(loc, name);
  int64_t value = 0;
  H5_CHECK(H5Aread(attr.get(), H5T_NATIVE_INT64, &value));
  return value;
}

// ---- Datasets ---------------------------------------------------------------------------------

namespace {

// Chunks sized to the data (16..4096 rows): small eval series stay small, long train series do
// not pay per-chunk overhead. Files are rewritten whole, so the choice is per file.
hsize_t ChunkRows(size_t rows) { return std::clamp<hsize_t>(static_cast<hsize_t>(rows), 16, 4096); }

void WriteColumn(hid_t loc, const std::string& name, hid_t file_type, hid_t mem_type, size_t rows,
                 const void* data) {
  const hsize_t dims[1] = {static_cast<hsize_t>(rows)};
  const hsize_t max_dims[1] = {H5S_UNLIMITED};
  const hsize_t chunk[1] = {ChunkRows(rows)};
  auto space = H5Handle::Dataspace(H5_CHECK(H5Screate_simple(1, dims, max_dims)));
  auto dcpl = H5Handle::PropertyList(H5_CHECK(H5Pcreate(H5P_DATASET_CREATE)));
  H5_CHECK(H5Pset_chunk(dcpl.get(), 1, chunk));
  auto dataset = H5Handle::Dataset(H5_CHECK(
      H5Dcreate2(loc, name.c_str(), file_type, space.get(), H5P_DEFAULT, dcpl.get(), H5P_DEFAULT)));
  if (rows > 0) {
    H5_CHECK(H5Dwrite(dataset.get(), mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data));
  }
}

H5Handle OpenDataset(hid_t loc, const std::string& name) {
  return H5Handle::Dataset(H5_CHECK(H5Dopen2(loc, name.c_str(), H5P_DEFAULT)));
}

// Number of rows of a 1-D dataset; H5Error for any other rank.
size_t RowCount(hid_t dataset, const std::string& name) {
  auto space = H5Handle::Dataspace(H5_CHECK(H5Dget_space(dataset)));
  const int rank = H5_CHECK(H5Sget_simple_extent_ndims(space.get()));
  if (rank != 1) {
    throw H5Error("dataset '" + name + "' has rank " + std::to_string(rank) + ", expected 1");
  }
  hsize_t dims[1] = {0};
  H5_CHECK(H5Sget_simple_extent_dims(space.get(), dims, nullptr));
  return static_cast<size_t>(dims[0]);
}

template <typename T>
std::vector<T> ReadNumericColumn(hid_t loc, const std::string& name, hid_t mem_type) {
  H5Handle dataset = OpenDataset(loc, name);
  std::vector<T> values(RowCount(dataset.get(), name));
  if (!values.empty()) {
    H5_CHECK(H5Dread(dataset.get(), mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()));
  }
  return values;
}

}  // namespace

void WriteDoubleColumn(hid_t loc, const std::string& name, const std::vector<double>& values) {
  WriteColumn(loc, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, values.size(), values.data());
}

void WriteInt64Column(hid_t loc, const std::string& name, const std::vector<int64_t>& values) {
  WriteColumn(loc, name, H5T_STD_I64LE, H5T_NATIVE_INT64, values.size(), values.data());
}

void WriteStringColumn(hid_t loc, const std::string& name, const std::vector<std::string>& values) {
  std::vector<const char*> pointers;
  pointers.reserve(values.size());
  for (const std::string& value : values) pointers.push_back(value.c_str());
  H5Handle type = Utf8StringType();
  WriteColumn(loc, name, type.get(), type.get(), values.size(), pointers.data());
}

void WriteDoubleScalar(hid_t loc, const std::string& name, double value) {
  H5Handle space = ScalarSpace();
  auto dataset = H5Handle::Dataset(H5_CHECK(H5Dcreate2(
      loc, name.c_str(), H5T_IEEE_F64LE, space.get(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT)));
  H5_CHECK(H5Dwrite(dataset.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, &value));
}

std::vector<double> ReadDoubleColumn(hid_t loc, const std::string& name) {
  return ReadNumericColumn<double>(loc, name, H5T_NATIVE_DOUBLE);
}

std::vector<int64_t> ReadInt64Column(hid_t loc, const std::string& name) {
  return ReadNumericColumn<int64_t>(loc, name, H5T_NATIVE_INT64);
}

std::vector<std::string> ReadStringColumn(hid_t loc, const std::string& name) {
  H5Handle dataset = OpenDataset(loc, name);
  const size_t rows = RowCount(dataset.get(), name);
  auto type = H5Handle::Datatype(H5_CHECK(H5Dget_type(dataset.get())));
  if (H5_CHECK(H5Tget_class(type.get())) != H5T_STRING) {
    throw H5Error("dataset '" + name + "' does not hold strings");
  }
  if (rows == 0) return {};
  auto space = H5Handle::Dataspace(H5_CHECK(H5Dget_space(dataset.get())));
  return ReadStrings(type.get(), space.get(), rows, [&](hid_t mem_type, void* buffer) {
    H5_CHECK(H5Dread(dataset.get(), mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buffer));
  });
}

double ReadDoubleScalar(hid_t loc, const std::string& name) {
  H5Handle dataset = OpenDataset(loc, name);
  auto space = H5Handle::Dataspace(H5_CHECK(H5Dget_space(dataset.get())));
  if (H5_CHECK(H5Sget_simple_extent_npoints(space.get())) != 1) {
    throw H5Error("dataset '" + name + "' is not a scalar");
  }
  double value = 0.0;
  H5_CHECK(H5Dread(dataset.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, &value));
  return value;
}

}  // namespace florenz
