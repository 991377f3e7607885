#include "common/safetensors.hpp"

#include <sys/stat.h>
#include <zlib.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstdio>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <stdexcept>
#include <string_view>

#include "common/atomic_file.hpp"

namespace dlfs {

// The data section is a memcpy of our floats, which is little-endian only on a little-endian
// machine (x86-64, ARM64 as everyone runs them). A big-endian port would byte-swap here.
static_assert(std::endian::native == std::endian::little, "model files store little-endian float32");

namespace {

[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw std::runtime_error(path + ": " + what);
}

std::string in_quotes(const std::string& s) { return "'" + s + "'"; }

std::string hex32(std::uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%08x", unsigned(v));
  return buf;
}

std::uint32_t crc32_of(std::string_view bytes) {
  return std::uint32_t(crc32_z(crc32_z(0L, Z_NULL, 0), reinterpret_cast<const Bytef*>(bytes.data()), bytes.size()));
}

// The header's own checksum: CRC-32 of the parsed header in one canonical form (keys sorted, no
// whitespace: nlohmann::json's dump), without the entry "header_crc32" itself. Over the parsed
// header, so that every tensor name, dtype, shape, offset and metadata value is covered; canonical,
// so that JSON whitespace (which means nothing) is not.
std::string header_checksum(nlohmann::json header) {
  header["__metadata__"].erase("header_crc32");
  return hex32(crc32_of(header.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)));
}

// The header JSON: __metadata__ first, then the tensors in the caller's order, padded with spaces
// to a multiple of 8 bytes so that the data section starts aligned (as the safetensors library does).
std::string make_header(const NamedTensors& tensors, const Metadata& metadata) {
  nlohmann::ordered_json header;
  header["__metadata__"] = nlohmann::ordered_json(metadata);
  std::size_t offset = 0;
  for (const auto& [name, tensor] : tensors) {
    const std::size_t bytes = tensor->size() * sizeof(float);
    header[name] = {{"dtype", "F32"}, {"shape", tensor->shape()}, {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  header["__metadata__"]["header_crc32"] = header_checksum(nlohmann::json::parse(header.dump()));
  std::string json = header.dump();
  json.resize((json.size() + 7) / 8 * 8, ' ');
  std::string out(8, '\0');
  std::uint64_t n = json.size();
  for (int i = 0; i < 8; ++i) out[std::size_t(i)] = char((n >> (8 * i)) & 0xff);  // little-endian u64
  return out + json;
}

// One tensor's entry in the header, checked against itself (not yet against its neighbours).
struct Entry {
  std::string name;
  Shape shape;
  std::uint64_t begin = 0, end = 0;
};

Entry parse_entry(const std::string& path, const std::string& name, const nlohmann::json& j) {
  const std::string where = "tensor " + in_quotes(name) + ": ";
  if (!j.is_object()) fail(path, where + "header entry is not a JSON object");
  for (const char* key : {"dtype", "shape", "data_offsets"})
    if (!j.contains(key)) fail(path, where + "header entry has no \"" + key + "\"");
  const auto& dtype = j["dtype"];
  if (!dtype.is_string() || dtype.get<std::string>() != "F32")
    fail(path, where + "unsupported dtype " + dtype.dump() + " (this program reads only \"F32\")");
  Entry e;
  e.name = name;
  const auto& shape = j["shape"];
  if (!shape.is_array()) fail(path, where + "\"shape\" is not an array");
  for (const auto& d : shape) {
    if (!d.is_number_unsigned()) fail(path, where + "\"shape\" holds " + d.dump() + ", not a dimension");
    e.shape.push_back(d.get<std::size_t>());
  }
  const auto& offsets = j["data_offsets"];
  if (!offsets.is_array() || offsets.size() != 2 || !offsets[0].is_number_unsigned() || !offsets[1].is_number_unsigned())
    fail(path, where + "\"data_offsets\" must be two byte offsets [begin, end], got " + offsets.dump());
  e.begin = offsets[0].get<std::uint64_t>();
  e.end = offsets[1].get<std::uint64_t>();
  if (e.end < e.begin) fail(path, where + "\"data_offsets\" " + offsets.dump() + " end before they begin");
  // bytes = prod(shape) * 4, refusing overflow (a corrupt shape must not wrap around to a small number).
  std::uint64_t bytes = sizeof(float);
  for (std::size_t d : e.shape)
    if (__builtin_mul_overflow(bytes, std::uint64_t(d), &bytes)) fail(path, where + "shape " + shape.dump() + " is absurdly large");
  if (e.end - e.begin != bytes)
    fail(path, where + "\"data_offsets\" " + offsets.dump() + " span " + std::to_string(e.end - e.begin) +
                   " bytes but shape " + shape_to_string(e.shape) + " of F32 needs " + std::to_string(bytes));
  return e;
}

// The data section must be exactly the tensors, packed: no overlaps, no gaps, nothing after.
void check_layout(const std::string& path, std::vector<Entry> entries, std::uint64_t data_bytes) {
  std::sort(entries.begin(), entries.end(),
            [](const Entry& a, const Entry& b) { return a.begin != b.begin ? a.begin < b.begin : a.end < b.end; });
  auto range = [](const Entry& e) { return "[" + std::to_string(e.begin) + ", " + std::to_string(e.end) + ")"; };
  std::uint64_t at = 0;
  const Entry* gap_before = nullptr;
  for (const Entry& e : entries) {
    if (e.begin < at)
      for (const Entry& other : entries)
        if (&other != &e && other.begin <= e.begin && e.begin < other.end)
          fail(path, "tensors " + in_quotes(other.name) + " " + range(other) + " and " + in_quotes(e.name) + " " + range(e) +
                         " overlap in the data section");
    if (e.begin > at && !gap_before) gap_before = &e;
    at = std::max(at, e.end);
  }
  for (const Entry& e : entries)
    if (e.end > data_bytes) {
      if (!gap_before)  // well packed, so the file is simply shorter than its header says
        fail(path, "truncated: the header describes " + std::to_string(at) + " bytes of tensor data but only " +
                       std::to_string(data_bytes) + " follow it");
      fail(path, "tensor " + in_quotes(e.name) + ": data_offsets " + range(e) + " are out of bounds (the data section holds " +
                     std::to_string(data_bytes) + " bytes)");
    }
  if (gap_before)
    fail(path, "bytes before tensor " + in_quotes(gap_before->name) + " " + range(*gap_before) + " belong to no tensor");
  if (at < data_bytes)
    fail(path, std::to_string(data_bytes - at) + " bytes after the last tensor belong to no tensor");
}

std::uint64_t read_u64_le(const unsigned char* p) {
  std::uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | p[i];
  return n;
}

// Every name of `expected` (with its shape) must be in `file` and nothing else; a failure says which.
void check_names_and_shapes(const std::string& path, const SafetensorsFile& file,
                            const std::vector<std::pair<std::string, const Tensor*>>& expected, const std::string& whose) {
  std::set<std::string> wanted;
  std::string missing;
  for (const auto& [name, tensor] : expected) {
    wanted.insert(name);
    const auto it = file.tensors.find(name);
    if (it == file.tensors.end()) {
      missing += (missing.empty() ? "" : ", ") + in_quotes(name);
    } else if (it->second.shape() != tensor->shape()) {
      fail(path, "shape mismatch for tensor " + in_quotes(name) + ": the file holds " + shape_to_string(it->second.shape()) +
                     ", " + whose + " needs " + shape_to_string(tensor->shape()));
    }
  }
  if (!missing.empty()) fail(path, "missing tensor(s) " + missing + " that " + whose + " needs");
  std::string extra;
  for (const auto& [name, tensor] : file.tensors)
    if (!wanted.count(name)) extra += (extra.empty() ? "" : ", ") + in_quotes(name);
  if (!extra.empty()) fail(path, "unexpected tensor(s) " + extra + " that " + whose + " does not have");
}

void check_kind_and_architecture(const std::string& path, const SafetensorsFile& file, const std::string& kind,
                                 const std::string& architecture) {
  const auto k = file.metadata.find("kind");
  const std::string file_kind = k == file.metadata.end() ? "" : k->second;
  if (file_kind != kind) {
    if (file_kind == "checkpoint") fail(path, "is a training checkpoint, not a model (resume from it instead)");
    if (file_kind == "model") fail(path, "is a model, not a training checkpoint (load it as a model instead)");
    fail(path, "metadata \"kind\" is " + in_quotes(file_kind) + ", expected " + in_quotes(kind));
  }
  const auto a = file.metadata.find("architecture");
  const std::string file_arch = a == file.metadata.end() ? "" : a->second;
  if (file_arch != architecture)
    fail(path, "architecture mismatch: the file holds " + in_quotes(file_arch) + " but the model is " + in_quotes(architecture));
}

std::size_t parse_count(const std::string& path, const Metadata& metadata, const std::string& key) {
  const auto it = metadata.find(key);
  if (it == metadata.end()) fail(path, "checkpoint metadata has no \"" + key + "\"");
  const std::string& text = it->second;
  if (text.empty() || text.size() > 19 || !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; }))
    fail(path, "checkpoint metadata \"" + key + "\" is " + in_quotes(text) + ", not a count");
  return std::size_t(std::stoull(text));
}

}  // namespace

void write_safetensors(const std::string& path, const NamedTensors& tensors, Metadata metadata) {
  std::set<std::string> names;
  std::size_t total = 0;
  for (const auto& [name, tensor] : tensors) {
    if (name.empty() || name.rfind("__", 0) == 0) fail(path, "cannot save a tensor named " + in_quotes(name));
    if (!tensor) fail(path, "cannot save tensor " + in_quotes(name) + ": null pointer");
    if (!names.insert(name).second) fail(path, "cannot save two tensors named " + in_quotes(name));
    // A NaN or infinite value means the training that made it diverged: such a file could only
    // replace a good one with a useless one, so nothing is written.
    for (std::size_t i = 0; i < tensor->size(); ++i)
      if (!std::isfinite((*tensor)[i]))
        fail(path, "not saved: tensor " + in_quotes(name) + " holds " + ((*tensor)[i] != (*tensor)[i] ? "NaN" : "an infinite value") +
                       " at element " + std::to_string(i) + " (did training diverge?); the file was left as it was");
    total += tensor->size() * sizeof(float);
  }
  std::vector<char> data(total);
  std::size_t offset = 0;
  for (const auto& [name, tensor] : tensors) {
    if (tensor->size()) std::memcpy(data.data() + offset, tensor->data(), tensor->size() * sizeof(float));
    offset += tensor->size() * sizeof(float);
  }
  metadata["format"] = "dlfs";
  metadata["format_version"] = kModelFormatVersion;
  metadata["checksum_crc32"] = hex32(crc32_of({data.data(), data.size()}));
  metadata.erase("header_crc32");  // a loaded file's metadata passed on: make_header computes this file's
  const std::string header = make_header(tensors, metadata);
  write_file_atomically(path, {header, std::string_view(data.data(), data.size())});
}

SafetensorsFile read_safetensors(const std::string& path) {
  // Checked before opening: opening a FIFO for reading blocks until a writer appears, forever.
  struct stat before {};
  if (::stat(path.c_str(), &before) == 0 && !S_ISREG(before.st_mode)) fail(path, "not a regular file");
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) fail(path, std::string("cannot open (") + std::strerror(errno) + ")");
  struct Closer {
    std::FILE* f;
    ~Closer() { std::fclose(f); }
  } closer{f};
  struct stat st {};
  if (::fstat(::fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) fail(path, "not a regular file");
  const std::uint64_t file_bytes = std::uint64_t(st.st_size);
  auto read_exactly = [&](char* into, std::size_t n) {
    if (n && std::fread(into, 1, n, f) != n) fail(path, "read error (file changed while reading?)");
  };

  // 1. The length prefix: 8 bytes, then that many bytes of header, all inside the file.
  if (file_bytes < 8)
    fail(path, "not a safetensors file: " + std::to_string(file_bytes) + " bytes is too short to hold the 8-byte header length");
  unsigned char prefix[8];
  read_exactly(reinterpret_cast<char*>(prefix), 8);
  const std::uint64_t header_bytes = read_u64_le(prefix);
  if (header_bytes < 2 || header_bytes > kMaxHeaderBytes)
    fail(path, "absurd header length " + std::to_string(header_bytes) + " (must be 2.." + std::to_string(kMaxHeaderBytes) +
                   " bytes): not a safetensors file or corrupted");
  if (header_bytes > file_bytes - 8)
    fail(path, "header length " + std::to_string(header_bytes) + " runs past the end of the file (" +
                   std::to_string(file_bytes) + " bytes): truncated or not a safetensors file");

  // 2. The header: JSON, an object, starting with '{' (the closest thing this format has to a magic number).
  std::string text(header_bytes, '\0');
  read_exactly(text.data(), text.size());
  if (text[0] != '{') fail(path, "not a safetensors file: the header does not start with '{'");
  // Our headers nest three levels deep ({"name": {"shape": [...]}}). Deeper JSON is refused while it
  // is parsed: copying or printing a value nested a hundred thousand deep recurses as deep, and
  // overflows the stack (nlohmann's parser itself does not recurse).
  constexpr int kMaxDepth = 8;
  nlohmann::json header;
  try {
    header = nlohmann::json::parse(text, [&](int depth, nlohmann::json::parse_event_t, nlohmann::json&) {
      if (depth > kMaxDepth)
        fail(path, "header nests deeper than " + std::to_string(kMaxDepth) + " levels (ours nest 3): not a dlfs model file");
      return true;
    });
  } catch (const nlohmann::json::exception& e) {
    fail(path, std::string("header is not valid JSON (") + e.what() + ")");
  }
  if (!header.is_object()) fail(path, "header is not a JSON object");

  // 3. Metadata: strings only, and a version we know.
  SafetensorsFile out;
  if (header.contains("__metadata__")) {
    const auto& meta = header["__metadata__"];
    if (!meta.is_object()) fail(path, "\"__metadata__\" is not a JSON object");
    for (const auto& [key, value] : meta.items()) {
      if (!value.is_string()) fail(path, "\"__metadata__\" value of " + in_quotes(key) + " is not a string");
      out.metadata[key] = value.get<std::string>();
    }
  }
  const auto version = out.metadata.find("format_version");
  if (version == out.metadata.end())
    fail(path, "unknown format version (no \"format_version\" in \"__metadata__\": not written by dlfs)");
  if (version->second != kModelFormatVersion)
    fail(path, "unknown format version " + in_quotes(version->second) + " (this program reads version " +
                   std::string(kModelFormatVersion) + ")");

  // 4. The header's checksum, when there is one (files written before it was added have none; so do
  // the PyTorch fixtures' writers). A single changed byte cannot remove it unnoticed: a change in
  // its own name leaves the rest of the header as it was written.
  if (const auto stored_header = out.metadata.find("header_crc32"); stored_header != out.metadata.end()) {
    const std::string actual = header_checksum(header);
    if (stored_header->second != actual)
      fail(path, "header checksum mismatch: the header says crc32 " + stored_header->second + " but hashes to " + actual +
                     " (the header is corrupted)");
  }

  // 5. Every tensor's entry, then how they lie in the data section.
  std::vector<Entry> entries;
  for (const auto& [name, value] : header.items())
    if (name != "__metadata__") entries.push_back(parse_entry(path, name, value));
  const std::uint64_t data_bytes = file_bytes - 8 - header_bytes;
  check_layout(path, entries, data_bytes);

  // 6. The data and its checksum.
  std::vector<char> data(data_bytes);
  read_exactly(data.data(), data.size());
  const auto stored = out.metadata.find("checksum_crc32");
  if (stored == out.metadata.end()) fail(path, "no \"checksum_crc32\" in \"__metadata__\"");
  const std::string actual = hex32(crc32_of({data.data(), data.size()}));
  if (stored->second != actual)
    fail(path, "checksum mismatch: the header says crc32 " + stored->second + " but the data hashes to " + actual +
                   " (the file is corrupted)");

  for (const Entry& e : entries) {
    Tensor t(e.shape);
    if (t.size()) std::memcpy(t.data(), data.data() + e.begin, t.size() * sizeof(float));
    out.tensors.emplace(e.name, std::move(t));
  }
  return out;
}

float metadata_number(const std::string& path, const Metadata& metadata, const std::string& key) {
  const auto it = metadata.find(key);
  if (it == metadata.end()) fail(path, "no \"" + key + "\" in its metadata");
  const std::string& text = it->second;
  char* end = nullptr;
  const float value = std::strtof(text.c_str(), &end);
  if (text.empty() || *end != '\0' || !std::isfinite(value))
    fail(path, "metadata \"" + key + "\" is " + in_quotes(text) + ", not a finite number");
  return value;
}

std::size_t metadata_positive_integer(const std::string& path, const Metadata& metadata, const std::string& key) {
  const auto it = metadata.find(key);
  if (it == metadata.end()) fail(path, "no " + in_quotes(key) + " in its metadata");
  const std::string& text = it->second;
  const bool digits = !text.empty() && text.size() <= 9 &&
                      std::all_of(text.begin(), text.end(), [](char d) { return d >= '0' && d <= '9'; });
  if (!digits || std::stoul(text) == 0)
    fail(path, "metadata " + in_quotes(key) + " is " + in_quotes(text) + ", not a positive integer");
  return std::stoul(text);
}

void save_model(const std::string& path, const std::string& architecture, const NamedTensors& parameters,
                const Metadata& extra) {
  Metadata metadata = extra;
  metadata["kind"] = "model";
  metadata["architecture"] = architecture;
  write_safetensors(path, parameters, std::move(metadata));
}

Metadata load_model(const std::string& path, const std::string& architecture, const NamedTensors& parameters) {
  SafetensorsFile file = read_safetensors(path);
  check_kind_and_architecture(path, file, "model", architecture);
  check_names_and_shapes(path, file, {parameters.begin(), parameters.end()}, "the model");
  // Everything checked: only now touch the destination.
  for (const auto& [name, tensor] : parameters) tensor->copy_from(file.tensors.at(name));
  return std::move(file.metadata);
}

void save_checkpoint(const std::string& path, const std::string& architecture, const NamedTensors& parameters,
                     const NamedTensors& optimizer_state, const TrainingState& state, const Metadata& extra) {
  NamedTensors all = parameters;
  for (const auto& [name, tensor] : optimizer_state) all.emplace_back("optimizer." + name, tensor);
  Metadata metadata = extra;
  metadata["kind"] = "checkpoint";
  metadata["architecture"] = architecture;
  metadata["epoch"] = std::to_string(state.epoch);
  metadata["step"] = std::to_string(state.step);
  metadata["rng_state"] = rng_state_to_hex(state.rng);
  metadata["optimizer"] = state.optimizer;
  write_safetensors(path, all, std::move(metadata));
}

TrainingState load_checkpoint(const std::string& path, const std::string& architecture,
                              const NamedTensors& parameters, const NamedTensors& optimizer_state,
                              const std::string& optimizer_name, const Metadata& must_match) {
  const SafetensorsFile file = read_safetensors(path);
  check_kind_and_architecture(path, file, "checkpoint", architecture);
  const auto opt = file.metadata.find("optimizer");
  const std::string file_optimizer = opt == file.metadata.end() ? "" : opt->second;
  if (file_optimizer != optimizer_name)
    fail(path, "optimizer mismatch: the checkpoint holds the state of " + in_quotes(file_optimizer) + ", this run uses " +
                   in_quotes(optimizer_name));
  for (const auto& [key, value] : must_match) {
    const auto it = file.metadata.find(key);
    const std::string have = it == file.metadata.end() ? "(none)" : it->second;
    if (have != value)
      fail(path, "the checkpoint was written with " + key + " " + in_quotes(have) + " but this run has " + in_quotes(value));
  }
  TrainingState state;
  state.epoch = parse_count(path, file.metadata, "epoch");
  state.step = parse_count(path, file.metadata, "step");
  state.optimizer = file_optimizer;
  const auto rng = file.metadata.find("rng_state");
  if (rng == file.metadata.end()) fail(path, "checkpoint metadata has no \"rng_state\"");
  try {
    state.rng = rng_state_from_hex(rng->second);
  } catch (const std::invalid_argument& e) {
    fail(path, std::string("checkpoint metadata \"rng_state\": ") + e.what());
  }

  std::vector<std::pair<std::string, const Tensor*>> expected(parameters.begin(), parameters.end());
  for (const auto& [name, tensor] : optimizer_state) expected.emplace_back("optimizer." + name, tensor);
  check_names_and_shapes(path, file, expected, "this model and optimizer");
  for (const auto& [name, tensor] : parameters) tensor->copy_from(file.tensors.at(name));
  for (const auto& [name, tensor] : optimizer_state) tensor->copy_from(file.tensors.at("optimizer." + name));
  return state;
}

std::string rng_state_to_hex(const Rng::State& state) {
  std::string out;
  char buf[20];
  for (std::uint64_t word : state) {
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(word));
    out += buf;
  }
  return out;
}

Rng::State rng_state_from_hex(const std::string& hex) {
  if (hex.size() != 64 || hex.find_first_not_of("0123456789abcdef") != std::string::npos)
    throw std::invalid_argument(in_quotes(hex) + " is not 64 lowercase hex digits");
  Rng::State state{};
  for (std::size_t i = 0; i < 4; ++i) state[i] = std::stoull(hex.substr(16 * i, 16), nullptr, 16);
  return state;
}

}  // namespace dlfs
