// H5Handle: move-only RAII owner of one HDF5 id, the H5_CHECK macro that wraps every HDF5 C call
// once, and the few typed read/write helpers the results store shares (columns, scalars,
// attributes). Internal to experiments/: it includes <hdf5.h>, so no public header includes it.
#ifndef FLORENZ_EXPERIMENTS_H5_HANDLE_H_
#define FLORENZ_EXPERIMENTS_H5_HANDLE_H_

#include <hdf5.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <type_traits>
#include <vector>

#include "core/errors.h"

namespace florenz {

// Thrown by H5_CHECK and by the helpers below when an HDF5 call fails or a file's content is not
// what the store expects. The message names the call, the source file:line and HDF5's own error
// stack, but not the data file: public entry points add that with WithFileContext().
class H5Error : public IoError {
 public:
  using IoError::IoError;
};

namespace detail {

// Builds the message from HDF5's current error stack (walked innermost last) and throws H5Error.
[[noreturn]] void ThrowH5Error(const char* call, const char* source_file, int line);

// HDF5 signals failure with a negative hid_t/herr_t/htri_t/ssize_t (or H5T_NO_CLASS, -1).
template <typename T>
T H5CheckResult(T result, const char* call, const char* source_file, int line) {
  if constexpr (std::is_enum_v<T>) {
    if (static_cast<std::underlying_type_t<T>>(result) < 0) ThrowH5Error(call, source_file, line);
  } else {
    static_assert(std::is_signed_v<T>, "use H5_CHECK_NONZERO for calls returning size_t");
    if (result < 0) ThrowH5Error(call, source_file, line);
  }
  return result;
}

// For the few calls that return an unsigned size and signal failure with 0 (H5Tget_size).
template <typename T>
T H5CheckNonZero(T result, const char* call, const char* source_file, int line) {
  if (result == 0) ThrowH5Error(call, source_file, line);
  return result;
}

}  // namespace detail

// Evaluates an HDF5 C call once and returns its result; throws H5Error on failure.
#define H5_CHECK(call) ::florenz::detail::H5CheckResult((call), #call, __FILE__, __LINE__)
#define H5_CHECK_NONZERO(call) ::florenz::detail::H5CheckNonZero((call), #call, __FILE__, __LINE__)

// Turns off HDF5's automatic printing of error stacks to stderr (once per process): the store
// reports errors through exceptions instead.
void SilenceHdf5ErrorPrinting();

// Runs fn(); an H5Error escaping it becomes an IoError whose message starts with `file`.
template <typename Fn>
auto WithFileContext(const std::filesystem::path& file, Fn&& fn) -> decltype(fn()) {
  SilenceHdf5ErrorPrinting();
  try {
    return fn();
  } catch (const H5Error& e) {
    throw IoError(file.string() + ": " + e.what());
  }
}

// Owns one HDF5 id and closes it with the close function of its kind.
class H5Handle {
 public:
  enum class Kind { kFile, kGroup, kDataset, kDataspace, kDatatype, kAttribute, kPropertyList };

  H5Handle() = default;
  // Takes ownership of `id`, which must be valid (pass it through H5_CHECK first).
  H5Handle(hid_t id, Kind kind) : id_(id), kind_(kind) {}
  // Closes the id if still open. A failure is printed to stderr, never thrown.
  ~H5Handle();

  H5Handle(H5Handle&& other) noexcept;
  H5Handle& operator=(H5Handle&& other) noexcept;
  H5Handle(const H5Handle&) = delete;
  H5Handle& operator=(const H5Handle&) = delete;

  static H5Handle File(hid_t id) { return H5Handle(id, Kind::kFile); }
  static H5Handle Group(hid_t id) { return H5Handle(id, Kind::kGroup); }
  static H5Handle Dataset(hid_t id) { return H5Handle(id, Kind::kDataset); }
  static H5Handle Dataspace(hid_t id) { return H5Handle(id, Kind::kDataspace); }
  static H5Handle Datatype(hid_t id) { return H5Handle(id, Kind::kDatatype); }
  static H5Handle Attribute(hid_t id) { return H5Handle(id, Kind::kAttribute); }
  static H5Handle PropertyList(hid_t id) { return H5Handle(id, Kind::kPropertyList); }

  // The id, still owned by this handle; H5I_INVALID_HID when empty.
  hid_t get() const { return id_; }
  bool valid() const { return id_ != H5I_INVALID_HID; }

  // Closes now and throws H5Error on failure. Use it for files being written, where an error at
  // close is a write error that must not be lost in a destructor.
  void Close();

 private:
  hid_t id_ = H5I_INVALID_HID;
  Kind kind_ = Kind::kFile;
};

// ---- Files and groups -------------------------------------------------------------------------

// Truncates `file` and writes it as HDF5 in the 1.8 format or later (readable by every HDF5 >=
// 1.8 and h5py), without file locking (the store never shares an open file with a writer; see
// docs/results-format.md). Objects must be closed before the file (close degree "semi").
// H5Fcreate follows links: pass only a temporary florenz has just created itself
// (AtomicFile::temporary(), a unique name made with O_EXCL | O_NOFOLLOW) and check it with
// AtomicFile::CheckUnchanged() before publishing it.
H5Handle CreateFileTruncate(const std::filesystem::path& file);
// Opens a file read-only, without file locking.
H5Handle OpenFileReadOnly(const std::filesystem::path& file);

H5Handle CreateGroup(hid_t loc, const std::string& name);
H5Handle OpenGroup(hid_t loc, const std::string& name);
bool LinkExists(hid_t loc, const std::string& name);
// Names of the links in a group, ascending by name.
std::vector<std::string> LinkNames(hid_t group);

// ---- Attributes (scalar) ----------------------------------------------------------------------

enum class AttributeClass { kNumber, kString, kOther };

bool AttributeExists(hid_t loc, const std::string& name);
// Names of the attributes on an object, ascending by name.
std::vector<std::string> AttributeNames(hid_t loc);
AttributeClass GetAttributeClass(hid_t loc, const std::string& name);
// Strings are written as variable-length UTF-8.
void WriteStringAttribute(hid_t loc, const std::string& name, const std::string& value);
void WriteDoubleAttribute(hid_t loc, const std::string& name, double value);
void WriteInt64Attribute(hid_t loc, const std::string& name, int64_t value);
// Reads variable- or fixed-length strings (trailing NULs dropped).
std::string ReadStringAttribute(hid_t loc, const std::string& name);
// Reads any numeric attribute, converting to double / int64.
double ReadDoubleAttribute(hid_t loc, const std::string& name);
int64_t ReadInt64Attribute(hid_t loc, const std::string& name);

// ---- Datasets ---------------------------------------------------------------------------------

// 1-D chunked datasets with an unlimited maximum size, holding all of `values`.
void WriteDoubleColumn(hid_t loc, const std::string& name, const std::vector<double>& values);
void WriteInt64Column(hid_t loc, const std::string& name, const std::vector<int64_t>& values);
void WriteStringColumn(hid_t loc, const std::string& name, const std::vector<std::string>& values);
// A scalar float64 dataset.
void WriteDoubleScalar(hid_t loc, const std::string& name, double value);

// Read a whole 1-D dataset (any numeric type is converted); H5Error if it is not 1-D.
std::vector<double> ReadDoubleColumn(hid_t loc, const std::string& name);
std::vector<int64_t> ReadInt64Column(hid_t loc, const std::string& name);
std::vector<std::string> ReadStringColumn(hid_t loc, const std::string& name);
double ReadDoubleScalar(hid_t loc, const std::string& name);

}  // namespace florenz

#endif  // FLORENZ_EXPERIMENTS_H5_HANDLE_H_
