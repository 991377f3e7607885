// The corruption matrix (tests/support/corruption_matrix.hpp) for model files, through load_model,
// the loader chapter 02's mlp --load (and every model file of the book) goes through: cut at every
// byte of the length prefix and the header and at points of the data, every header field set to
// absurd values, and every byte of the file replaced by other values.
//
// What protects what: the tensor data is covered by the CRC-32 in "checksum_crc32", the header by
// the CRC-32 in "header_crc32" (over its canonical form: every name, shape, offset and metadata
// value), and both are checked for structure (JSON, types, offsets that tile the data exactly). So
// every changed byte must be an error, except in JSON whitespace, which means nothing. Before the
// header had its checksum, 64 of this matrix's changed bytes loaded silently: digits of the pixel
// mean and standard deviation that chapter 02's example standardizes its inputs with.
#include <catch2/catch.hpp>
#include <cstring>
#include <iostream>
#include <nlohmann/json.hpp>

#include "common/safetensors.hpp"
#include "tests/support/corruption_matrix.hpp"
#include "tests/support/tmp.hpp"

using namespace dlfs;
using namespace dlfs::test;

namespace {

constexpr const char* kArchitecture = "Sequential(Flatten, Dense(4, 3), ReLU, Dense(3, 2))";

// A small MLP's parameters, as chapter 02 names them, with distinct values.
struct Mlp {
  Tensor w1{{3, 4}}, b1{{3}}, w2{{2, 3}}, b2{{2}};
  explicit Mlp(float scale) {
    float v = 0.5f;
    for (Tensor* t : {&w1, &b1, &w2, &b2})
      for (float& x : *t) x = scale * (v = -v * 1.37f + 0.11f);
  }
  NamedTensors named() { return {{"1.weight", &w1}, {"1.bias", &b1}, {"3.weight", &w2}, {"3.bias", &b2}}; }
};

bool same_bits(const Tensor& a, const Tensor& b) {
  return a.shape() == b.shape() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

const Metadata kExtra = {{"pixel_mean", "0.286040604"}, {"pixel_stddev", "0.353024244"}};

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// The good file's bytes, and its metadata as read_safetensors returns it.
const std::string& good_file() {
  static const std::string bytes = [] {
    const std::string path = scratch_dir("safetensors-corruption-good") + "/good.safetensors";
    Mlp mlp(1.0f);
    save_model(path, kArchitecture, mlp.named(), kExtra);
    return slurp(path);
  }();
  return bytes;
}
const Metadata& good_metadata() {
  static const Metadata m = [] {
    const std::string path = scratch_dir("safetensors-corruption-meta") + "/good.safetensors";
    std::ofstream(path, std::ios::binary) << good_file();
    return read_safetensors(path).metadata;
  }();
  return m;
}

std::uint64_t header_length() {
  std::uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<unsigned char>(good_file()[std::size_t(i)]);
  return n;
}

// What mlp --load does: load_model into a fresh network, then the metadata it reads.
Loaded load(const std::string& path) {
  Mlp dest(-9.0f);
  const Metadata metadata = load_model(path, kArchitecture, dest.named());
  const Mlp good(1.0f);
  const bool tensors = same_bits(dest.w1, good.w1) && same_bits(dest.b1, good.b1) && same_bits(dest.w2, good.w2) &&
                       same_bits(dest.b2, good.b2);
  // Intact: the same tensors and every metadata entry as written. The header checksum's own entry is
  // the one exception: a changed byte in its name ("header_crc32") leaves a file that is read as one
  // written before header checksums existed, with all else as it was.
  bool entries = true;
  for (const auto& [key, value] : good_metadata())
    if (key != "header_crc32") entries = entries && metadata.count(key) && metadata.at(key) == value;
  return tensors && entries ? Loaded::intact : Loaded::changed;
}

std::string le64(std::uint64_t n) {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[std::size_t(i)] = char((n >> (8 * i)) & 0xff);
  return out;
}

// The good file with its header replaced by `json` (length prefix fixed, data kept).
std::string with_header(const std::string& json) {
  return le64(json.size()) + json + good_file().substr(8 + header_length());
}

// The good header with one edit applied to its parsed JSON, and then, if given, the text `mark`
// replaced by `text` (for what a JSON value cannot hold, such as nesting too deep to build).
std::string edited(const std::function<void(nlohmann::json&)>& edit, const std::string& mark = "",
                   const std::string& text = "") {
  nlohmann::json header = nlohmann::json::parse(good_file().substr(8, header_length()));
  // Without the header's checksum, as a file written before it or by another program: each absurd
  // value then meets the check meant for it, not the checksum (which has a case of its own).
  header["__metadata__"].erase("header_crc32");
  edit(header);
  std::string json = header.dump();
  if (!mark.empty()) json.replace(json.find(mark), mark.size(), text);
  return with_header(json);
}

// Every header field set to what no file written by save_model holds.
std::vector<Corruption> absurd_headers() {
  const std::string data = good_file().substr(8 + header_length());
  const std::string json = good_file().substr(8, header_length());
  using J = nlohmann::json;
  std::vector<Corruption> out = {
      {"empty file", ""},
      {"header length 0", le64(0) + json + data},
      {"header length 1", le64(1) + json + data},
      {"header length 2^63", le64(std::uint64_t(1) << 63) + json + data},
      {"header length 2^64 - 1", le64(~std::uint64_t(0)) + json + data},
      {"header length one past the end of the file", le64(json.size() + data.size() + 1) + json + data},
      {"header length over the 100 MB cap", le64(kMaxHeaderBytes + 1) + json + data},
      {"header length one byte short", le64(json.size() - 1) + json + data},
      {"header length one byte long", le64(json.size() + 1) + json + data},
      {"wrong magic: a gzip file", "\x1f\x8b\x08\x00" + good_file().substr(4)},
      {"wrong magic: a JSON array header", with_header("[1, 2, 3]")},
      {"JSON garbage", with_header("{\"__metadata__\": {\"format_version\": \"1\"}, \"1.weight\": {\"dtype")},
      {"JSON garbage: not UTF-8", with_header("{\"\xff\xfe\": 1}")},
      {"JSON nested a hundred thousand deep", with_header("{\"a\":" + std::string(100000, '[') + std::string(100000, ']') + "}")},
      {"data offsets nested a hundred thousand deep", edited([](J& h) { h["1.bias"]["data_offsets"] = "@"; }, "\"@\"",
                                                               std::string(100000, '[') + std::string(100000, ']'))},
      {"an empty JSON object", with_header("{}")},
      {"a second copy of a tensor's entry (duplicate names)",
       with_header(json.substr(0, json.find_last_of('}')) + ",\"1.bias\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,12]}}")},
      {"__metadata__ not an object", edited([](J& h) { h["__metadata__"] = 7; })},
      {"a metadata value that is a number", edited([](J& h) { h["__metadata__"]["pixel_mean"] = 0.28; })},
      {"no format_version", edited([](J& h) { h["__metadata__"].erase("format_version"); })},
      {"format_version 2", edited([](J& h) { h["__metadata__"]["format_version"] = "2"; })},
      {"no checksum", edited([](J& h) { h["__metadata__"].erase("checksum_crc32"); })},
      {"a wrong checksum", edited([](J& h) { h["__metadata__"]["checksum_crc32"] = "00000000"; })},
      {"a wrong header checksum", edited([](J& h) { h["__metadata__"]["header_crc32"] = "00000000"; })},
      {"a metadata value changed, the header checksum kept",
       with_header(std::string(json).replace(json.find("0.286040604"), 11, "0.286040614"))},
      {"another kind", edited([](J& h) { h["__metadata__"]["kind"] = "checkpoint"; })},
      {"another architecture", edited([](J& h) { h["__metadata__"]["architecture"] = "Sequential(Dense(4, 3))"; })},
      {"dtype F16", edited([](J& h) { h["1.bias"]["dtype"] = "F16"; })},
      {"dtype a number", edited([](J& h) { h["1.bias"]["dtype"] = 7; })},
      {"no dtype", edited([](J& h) { h["1.bias"].erase("dtype"); })},
      {"a tensor entry that is a string", edited([](J& h) { h["1.bias"] = "F32"; })},
      {"a negative dimension", edited([](J& h) { h["1.weight"]["shape"] = {-3, 4}; })},
      {"a fractional dimension", edited([](J& h) { h["1.weight"]["shape"] = {1.5, 8}; })},
      {"a dimension that is text", edited([](J& h) { h["1.weight"]["shape"] = {"3", 4}; })},
      {"shape not an array", edited([](J& h) { h["1.weight"]["shape"] = 12; })},
      {"dimensions whose product overflows 64 bits",
       edited([](J& h) { h["1.weight"]["shape"] = {std::uint64_t(1) << 40, std::uint64_t(1) << 40}; })},
      {"a dimension of 2^64 - 1", edited([](J& h) { h["1.weight"]["shape"] = {~std::uint64_t(0)}; })},
      {"a shape that does not match its bytes", edited([](J& h) { h["1.weight"]["shape"] = {4, 3, 1, 2}; })},
      {"shape [3, 3] for 12 floats", edited([](J& h) { h["1.weight"]["shape"] = {3, 3}; })},
      {"one data offset", edited([](J& h) { h["1.bias"]["data_offsets"] = {48}; })},
      {"negative data offsets", edited([](J& h) { h["1.bias"]["data_offsets"] = {-12, 0}; })},
      {"data offsets reversed", edited([](J& h) { h["1.bias"]["data_offsets"] = {60, 48}; })},
      {"data offsets 2^64 - 12 .. 2^64 - 1 (wrapping)",
       edited([](J& h) { h["1.bias"]["data_offsets"] = {~std::uint64_t(0) - 11, ~std::uint64_t(0)}; })},
      {"data offsets past the end", edited([](J& h) { h["1.bias"]["data_offsets"] = {1000, 1012}; })},
      {"overlapping tensors", edited([](J& h) { h["1.bias"]["data_offsets"] = {36, 48}; })},
      {"a tensor missing", edited([](J& h) { h.erase("3.bias"); })},
      {"an extra tensor", edited([](J& h) { h["9.gamma"] = {{"dtype", "F32"}, {"shape", {0}}, {"data_offsets", {0, 0}}}; })},
      {"a tensor renamed", edited([](J& h) { h["1.Weight"] = h["1.weight"]; h.erase("1.weight"); })},
      {"a tensor with an empty name", edited([](J& h) { h[""] = h["3.bias"]; h.erase("3.bias"); })},
      {"data cut off, header intact", good_file().substr(0, 8 + header_length() + 4)},
      {"four bytes appended", good_file() + std::string(4, '\0')},
  };
  return out;
}

}  // namespace

TEST_CASE("The good model file loads intact: the matrix starts from a file that works", "[common][safetensors][corruption]") {
  const std::string path = scratch_dir("safetensors-corruption-check") + "/good.safetensors";
  std::ofstream(path, std::ios::binary) << good_file();
  CHECK(load(path) == Loaded::intact);
  CHECK(good_metadata().at("pixel_mean") == "0.286040604");
}

TEST_CASE("Every cut, absurd header field and changed byte of a model file is a clear error naming it, or loads it intact",
          "[common][safetensors][corruption]") {
  std::vector<Corruption> cases = truncations(good_file(), 8 + header_length(), 8);
  for (Corruption& c : absurd_headers()) cases.push_back(std::move(c));
  for (Corruption& c : byte_flips(good_file(), 3, 19)) cases.push_back(std::move(c));
  const MatrixCounts counts = run_matrix(scratch_dir("safetensors-corruption"), ".safetensors", cases, load);
  std::cout << "corruption matrix, model file (" << good_file().size() << " bytes, header " << header_length()
            << "): " << counts.tried << " cases: " << counts.clear_errors << " clear errors naming the file, "
            << counts.intact_loads << " loads of exactly the good content (a changed byte in JSON whitespace or in the "
            << "name \"header_crc32\"), " << counts.silent_wrong_loads << " silent wrong loads, "
            << counts.loads_of_broken_files << " loads of cut or absurd files\n";
  CHECK(counts.silent_wrong_loads == 0);
  CHECK(counts.clear_errors + counts.intact_loads == counts.tried);
}
