#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/safetensors.hpp"
#include "tests/support/tmp.hpp"

using namespace dlfs;
using Catch::Contains;

namespace {

// Two tensors with distinct values; `scale` tells an old model from a new one.
struct Weights {
  Tensor weight{{2, 3}, {1, 2, 3, 4, 5, 6}};
  Tensor bias{{3}, {-1, 0.5f, 7}};
  explicit Weights(float scale = 1.0f) {
    for (float& v : weight) v *= scale;
    for (float& v : bias) v *= scale;
  }
  NamedTensors named() { return {{"0.weight", &weight}, {"0.bias", &bias}}; }
};

bool same_bits(const Tensor& a, const Tensor& b) {
  return a.shape() == b.shape() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void spit(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

// A file taken apart (header JSON, data bytes) so a test can break exactly one thing and put it
// back together with a correct length prefix and, unless told otherwise, a correct checksum.
struct RawFile {
  nlohmann::json header;
  std::string data;
};

RawFile take_apart(const std::string& path) {
  const std::string bytes = slurp(path);
  std::uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<unsigned char>(bytes[std::size_t(i)]);
  return {nlohmann::json::parse(bytes.substr(8, n)), bytes.substr(8 + n)};
}

// The length prefix of a file's bytes: how long its JSON header is.
std::uint64_t header_length_of(const std::string& bytes) {
  std::uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<unsigned char>(bytes[std::size_t(i)]);
  return n;
}

std::string length_prefix(std::uint64_t n) {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[std::size_t(i)] = char((n >> (8 * i)) & 0xff);
  return out;
}

void put_together(const std::string& path, RawFile raw, bool fix_checksum = true) {
  // A header edited by hand has no checksum of its own, as files written before header checksums.
  if (raw.header.contains("__metadata__")) raw.header["__metadata__"].erase("header_crc32");
  if (fix_checksum) {
    char hex[16];
    const auto crc = crc32_z(0L, reinterpret_cast<const Bytef*>(raw.data.data()), raw.data.size());
    std::snprintf(hex, sizeof hex, "%08lx", static_cast<unsigned long>(crc));
    raw.header["__metadata__"]["checksum_crc32"] = hex;
  }
  const std::string json = raw.header.dump();
  spit(path, length_prefix(json.size()) + json + raw.data);
}

// A saved two-tensor model to break, and the path it lives at.
std::string good_model(const std::string& name) {
  const std::string path = test::scratch_dir("safetensors-" + name) + "/model.safetensors";
  Weights w;
  save_model(path, "Net(3)", w.named(), {{"note", "hello"}});
  return path;
}

// Loading a broken file must fail with `message` (and the path), leaving the destination untouched.
void require_load_fails(const std::string& path, const std::string& message, const std::string& architecture = "Net(3)") {
  Weights dest(-3.0f);
  const Weights before(-3.0f);
  CHECK_THROWS_WITH(load_model(path, architecture, dest.named()), Contains(path + ": ") && Contains(message));
  CHECK(same_bits(dest.weight, before.weight));
  CHECK(same_bits(dest.bias, before.bias));
}

}  // namespace

TEST_CASE("A saved file reads back with the same names, shapes, bits and metadata", "[common][safetensors]") {
  const std::string path = test::scratch_dir("safetensors-roundtrip") + "/sub/all.safetensors";  // parent created
  Tensor matrix({2, 3}, {1.5f, -0.0f, 3e-38f, 1e30f, -7.25f, 0.1f});
  Tensor scalar(Shape{}, {42.0f});
  Tensor empty(Shape{0, 4});
  Tensor cube({2, 2, 2}, {1, 2, 3, 4, 5, 6, 7, 8});
  write_safetensors(path, {{"m", &matrix}, {"s", &scalar}, {"e", &empty}, {"c", &cube}}, {{"epoch", "3"}});
  const SafetensorsFile file = read_safetensors(path);
  REQUIRE(file.tensors.size() == 4);
  CHECK(same_bits(file.tensors.at("m"), matrix));
  CHECK(same_bits(file.tensors.at("s"), scalar));
  CHECK(file.tensors.at("e").shape() == Shape{0, 4});
  CHECK(same_bits(file.tensors.at("c"), cube));
  CHECK(file.metadata.at("epoch") == "3");
  CHECK(file.metadata.at("format") == "dlfs");
  CHECK(file.metadata.at("format_version") == "1");
  CHECK(file.metadata.at("checksum_crc32").size() == 8);
}

TEST_CASE("A NaN or infinite value is never saved, and the file on disk stays as it was", "[common][safetensors]") {
  const std::string path = test::scratch_dir("safetensors-non-finite") + "/model.safetensors";
  Weights good;
  save_model(path, "Net", good.named());
  const std::string before = slurp(path);
  for (const float bad : {NAN, INFINITY, -INFINITY}) {
    Weights diverged(2.0f);
    diverged.bias[1] = bad;
    CHECK_THROWS_WITH(save_model(path, "Net", diverged.named()),
                      Contains(path + ": not saved: tensor '0.bias' holds") && Contains("at element 1") &&
                          Contains("did training diverge?"));
    CHECK(slurp(path) == before);
  }
}

TEST_CASE("The file is the safetensors layout: length prefix, padded JSON header, packed float32", "[common][safetensors]") {
  const std::string path = test::scratch_dir("safetensors-layout") + "/m.safetensors";
  Weights w;
  save_model(path, "Net(3)", w.named());
  const std::string bytes = slurp(path);
  std::uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<unsigned char>(bytes[std::size_t(i)]);
  CHECK(n % 8 == 0);  // the data section starts 8-byte aligned
  CHECK(bytes[8] == '{');
  const auto header = nlohmann::json::parse(bytes.substr(8, n));
  CHECK(header["0.weight"]["dtype"] == "F32");
  CHECK(header["0.weight"]["shape"] == nlohmann::json({2, 3}));
  CHECK(header["0.weight"]["data_offsets"] == nlohmann::json({0, 24}));
  CHECK(header["0.bias"]["data_offsets"] == nlohmann::json({24, 36}));
  CHECK(header["__metadata__"]["architecture"] == "Net(3)");
  CHECK(header["__metadata__"]["kind"] == "model");
  REQUIRE(bytes.size() == 8 + n + 36);
  float first_bias = 0;
  std::memcpy(&first_bias, bytes.data() + 8 + n + 24, 4);
  CHECK(first_bias == -1.0f);
}

TEST_CASE("load_model copies a saved model into the destination tensors", "[common][safetensors]") {
  const std::string path = good_model("load");
  Weights dest(0.0f);
  const Metadata meta = load_model(path, "Net(3)", dest.named());
  CHECK(same_bits(dest.weight, Weights().weight));
  CHECK(same_bits(dest.bias, Weights().bias));
  CHECK(meta.at("note") == "hello");
}

TEST_CASE("Loading a missing file names it", "[common][safetensors][corrupt]") {
  require_load_fails(test::scratch_dir("safetensors-missing") + "/absent.safetensors", "cannot open (No such file");
}

TEST_CASE("A file shorter than the length prefix is rejected as too short", "[common][safetensors][corrupt]") {
  const std::string path = test::scratch_dir("safetensors-short") + "/short.safetensors";
  spit(path, "abc");
  require_load_fails(path, "3 bytes is too short");
}

TEST_CASE("An absurd header length is refused before anything is allocated", "[common][safetensors][corrupt]") {
  const std::string path = good_model("absurd");
  std::string bytes = slurp(path);
  bytes.replace(0, 8, length_prefix(std::uint64_t(1) << 62));
  spit(path, bytes);
  require_load_fails(path, "absurd header length 4611686018427387904");
}

TEST_CASE("A header length past the end of the file is reported", "[common][safetensors][corrupt]") {
  const std::string path = good_model("past-end");
  std::string bytes = slurp(path);
  bytes.replace(0, 8, length_prefix(bytes.size()));
  spit(path, bytes);
  require_load_fails(path, "runs past the end of the file");
}

TEST_CASE("A header that does not start with a brace is not a safetensors file", "[common][safetensors][corrupt]") {
  const std::string path = test::scratch_dir("safetensors-magic") + "/png.safetensors";
  spit(path, length_prefix(8) + "\x89PNG\r\n\x1a\n" + std::string(64, 'x'));
  require_load_fails(path, "the header does not start with '{'");
}

TEST_CASE("A header that is not valid JSON is reported", "[common][safetensors][corrupt]") {
  const std::string path = test::scratch_dir("safetensors-json") + "/bad.safetensors";
  spit(path, length_prefix(12) + "{\"a\": [1, 2" + std::string(8, '\0'));
  require_load_fails(path, "header is not valid JSON");
}

TEST_CASE("An unknown format version is refused", "[common][safetensors][corrupt]") {
  const std::string path = good_model("version");
  RawFile raw = take_apart(path);
  raw.header["__metadata__"]["format_version"] = "2";
  put_together(path, raw);
  require_load_fails(path, "unknown format version '2' (this program reads version 1)");
}

TEST_CASE("A file without our metadata has no known format version", "[common][safetensors][corrupt]") {
  const std::string path = good_model("no-meta");
  RawFile raw = take_apart(path);
  raw.header.erase("__metadata__");
  put_together(path, raw, false);
  require_load_fails(path, "unknown format version (no \"format_version\"");
}

TEST_CASE("A dtype other than F32 is refused", "[common][safetensors][corrupt]") {
  const std::string path = good_model("dtype");
  RawFile raw = take_apart(path);
  raw.header["0.bias"]["dtype"] = "F16";
  put_together(path, raw);
  require_load_fails(path, "tensor '0.bias': unsupported dtype \"F16\"");
}

TEST_CASE("Data offsets that do not match the shape are reported", "[common][safetensors][corrupt]") {
  const std::string path = good_model("span");
  RawFile raw = take_apart(path);
  raw.header["0.weight"]["shape"] = {3, 3};
  put_together(path, raw);
  require_load_fails(path, "tensor '0.weight': \"data_offsets\" [0,24] span 24 bytes but shape (3, 3) of F32 needs 36");
}

TEST_CASE("A truncated data section is reported as truncated", "[common][safetensors][corrupt]") {
  const std::string path = good_model("truncated");
  const std::string bytes = slurp(path);
  spit(path, bytes.substr(0, bytes.size() - 5));
  require_load_fails(path, "truncated: the header describes 36 bytes of tensor data but only 31 follow it");
}

TEST_CASE("Data offsets beyond the data section are out of bounds", "[common][safetensors][corrupt]") {
  const std::string path = good_model("bounds");
  RawFile raw = take_apart(path);
  raw.header["0.bias"]["data_offsets"] = {1000, 1012};
  put_together(path, raw);
  require_load_fails(path, "tensor '0.bias': data_offsets [1000, 1012) are out of bounds (the data section holds 36 bytes)");
}

TEST_CASE("Overlapping tensors are reported", "[common][safetensors][corrupt]") {
  const std::string path = good_model("overlap");
  RawFile raw = take_apart(path);
  raw.header["0.bias"]["data_offsets"] = {12, 24};
  raw.data.resize(24);
  put_together(path, raw);
  require_load_fails(path, "tensors '0.weight' [0, 24) and '0.bias' [12, 24) overlap");
}

TEST_CASE("Bytes that belong to no tensor are reported", "[common][safetensors][corrupt]") {
  const std::string path = good_model("trailing");
  RawFile raw = take_apart(path);
  raw.data += "junk";
  put_together(path, raw);
  require_load_fails(path, "4 bytes after the last tensor belong to no tensor");
}

TEST_CASE("A flipped bit in the data fails the checksum", "[common][safetensors][corrupt]") {
  const std::string path = good_model("checksum");
  std::string bytes = slurp(path);
  bytes[bytes.size() - 3] ^= 0x10;
  spit(path, bytes);
  require_load_fails(path, "checksum mismatch: the header says crc32 ");
}

TEST_CASE("A header nested deeper than ours is refused while it is parsed", "[common][safetensors][corrupt]") {
  // A hundred thousand levels: printing such a value in an error message used to recurse as deep and
  // overflow the stack.
  const std::string path = good_model("deep");
  RawFile raw = take_apart(path);
  raw.header["0.bias"]["data_offsets"] = "@";
  put_together(path, raw);
  std::string bytes = slurp(path);
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  bytes.replace(bytes.find("\"@\""), 3, deep);
  const std::uint64_t n = header_length_of(bytes) + deep.size() - 3;
  spit(path, length_prefix(n) + bytes.substr(8));
  require_load_fails(path, "header nests deeper than 8 levels (ours nest 3)");
}

TEST_CASE("A changed metadata value fails the header checksum", "[common][safetensors][corrupt]") {
  const std::string path = good_model("header-checksum");
  std::string bytes = slurp(path);
  bytes.replace(bytes.find("hello"), 5, "hallo");  // the note: valid JSON, a valid file but for the checksum
  spit(path, bytes);
  require_load_fails(path, "header checksum mismatch: the header says crc32");
}

TEST_CASE("A file without a header checksum (written before it existed) still loads", "[common][safetensors]") {
  const std::string path = good_model("no-header-checksum");
  put_together(path, take_apart(path));  // the same header and data, without "header_crc32"
  CHECK(take_apart(path).header["__metadata__"].count("header_crc32") == 0);
  Weights dest(0.0f);
  CHECK(load_model(path, "Net(3)", dest.named()).at("note") == "hello");
  CHECK(same_bits(dest.weight, Weights().weight));
}

TEST_CASE("A model of another architecture is refused", "[common][safetensors][corrupt]") {
  require_load_fails(good_model("arch"), "architecture mismatch: the file holds 'Net(3)' but the model is 'Net(4)'", "Net(4)");
}

TEST_CASE("A tensor the model needs but the file lacks is reported by name", "[common][safetensors][corrupt]") {
  const std::string path = test::scratch_dir("safetensors-missing-tensor") + "/m.safetensors";
  Weights w;
  save_model(path, "Net(3)", {{"0.weight", &w.weight}});
  // 0.weight matches and comes first: it must still not be copied, since 0.bias is missing.
  require_load_fails(path, "missing tensor(s) '0.bias' that the model needs");
}

TEST_CASE("A tensor the model does not have is reported by name", "[common][safetensors][corrupt]") {
  const std::string path = test::scratch_dir("safetensors-extra-tensor") + "/m.safetensors";
  Weights w;
  Tensor extra({1}, {1.0f});
  save_model(path, "Net(3)", {{"0.weight", &w.weight}, {"0.bias", &w.bias}, {"9.gamma", &extra}});
  require_load_fails(path, "unexpected tensor(s) '9.gamma' that the model does not have");
}

TEST_CASE("A tensor of the wrong shape is reported with both shapes", "[common][safetensors][corrupt]") {
  const std::string path = test::scratch_dir("safetensors-shape") + "/m.safetensors";
  Weights w;
  Tensor wide({3, 2});
  save_model(path, "Net(3)", {{"0.weight", &wide}, {"0.bias", &w.bias}});
  require_load_fails(path, "shape mismatch for tensor '0.weight': the file holds (3, 2), the model needs (2, 3)");
}

TEST_CASE("A checkpoint is not loaded as a model", "[common][safetensors][corrupt]") {
  const std::string path = test::scratch_dir("safetensors-kind") + "/c.safetensors";
  Weights w;
  save_checkpoint(path, "Net(3)", w.named(), {}, TrainingState{1, 10, {}, "sgd"});
  require_load_fails(path, "is a training checkpoint, not a model");
}

TEST_CASE("A save that fails partway leaves the previous file intact and no temporary behind", "[common][safetensors][atomic]") {
  const std::string dir = test::scratch_dir("safetensors-failed-save");
  const std::string path = dir + "/model.safetensors";
  Weights old_weights(1.0f);
  save_model(path, "Net(3)", old_weights.named());

  // A bigger model, written under a 200-byte file-size limit: the header fits, the data does not,
  // so write(2) fails with EFBIG halfway through (SIGXFSZ ignored so the process survives).
  Tensor big({1000}, 2.0f);
  rlimit old_limit{};
  getrlimit(RLIMIT_FSIZE, &old_limit);
  rlimit small = old_limit;
  small.rlim_cur = 200;
  auto old_handler = signal(SIGXFSZ, SIG_IGN);
  setrlimit(RLIMIT_FSIZE, &small);
  std::string error;
  try {
    save_model(path, "Net(3)", {{"0.weight", &big}});
  } catch (const std::runtime_error& e) {
    error = e.what();
  }
  setrlimit(RLIMIT_FSIZE, &old_limit);
  signal(SIGXFSZ, old_handler);

  CHECK_THAT(error, Contains(path + ": cannot save (writing ") && Contains("File too large") &&
                        Contains("the previous file, if any, is unchanged"));
  Weights loaded(0.0f);
  load_model(path, "Net(3)", loaded.named());
  CHECK(same_bits(loaded.weight, old_weights.weight));
  std::size_t files = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir)) ++files;
  CHECK(files == 1);  // the temporary was removed
}

TEST_CASE("A process killed in the middle of a save leaves the previous file intact", "[common][safetensors][atomic]") {
  const std::string dir = test::scratch_dir("safetensors-crash");
  const std::string path = dir + "/model.safetensors";
  Weights old_weights(1.0f);
  save_model(path, "Net(3)", old_weights.named());

  // The child dies of SIGXFSZ (its default action kills the process) halfway through writing: a crash.
  const pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    rlimit small{};
    getrlimit(RLIMIT_FSIZE, &small);
    small.rlim_cur = 200;
    setrlimit(RLIMIT_FSIZE, &small);
    Tensor big({1000}, 2.0f);
    try {
      save_model(path, "Net(3)", {{"0.weight", &big}});
    } catch (...) {
    }
    _exit(0);  // not reached: the write kills the child
  }
  int status = 0;
  waitpid(child, &status, 0);
  REQUIRE(WIFSIGNALED(status));
  CHECK(WTERMSIG(status) == SIGXFSZ);

  Weights loaded(0.0f);
  load_model(path, "Net(3)", loaded.named());
  CHECK(same_bits(loaded.weight, old_weights.weight));
  CHECK(same_bits(loaded.bias, old_weights.bias));
}

TEST_CASE("A save into a path that cannot be written names the path", "[common][safetensors][atomic]") {
  const std::string dir = test::scratch_dir("safetensors-unwritable");
  spit(dir + "/file", "x");
  Weights w;
  CHECK_THROWS_WITH(save_model(dir + "/file/m.safetensors", "Net(3)", w.named()),
                    Contains(dir + "/file/m.safetensors: cannot save (creating a temporary file"));
}

TEST_CASE("A save through a symbolic link replaces the file it names and keeps the link", "[common][safetensors][atomic]") {
  const std::string dir = test::scratch_dir("safetensors-symlink");
  std::filesystem::create_directories(dir + "/real");
  Weights old_w(1.0f), new_w(2.0f);
  save_model(dir + "/real/m.safetensors", "Net(3)", old_w.named());
  std::filesystem::remove(dir + "/link.safetensors");
  std::filesystem::create_symlink("real/m.safetensors", dir + "/link.safetensors");
  save_model(dir + "/link.safetensors", "Net(3)", new_w.named());
  CHECK(std::filesystem::is_symlink(dir + "/link.safetensors"));
  CHECK(read_safetensors(dir + "/real/m.safetensors").tensors.at("0.weight")[0] == 2.0f);
}

TEST_CASE("Reading a FIFO or a directory is refused at once, never a wait for a writer", "[common][safetensors]") {
  const std::string dir = test::scratch_dir("safetensors-fifo");
  const std::string fifo = dir + "/fifo.safetensors";
  std::filesystem::remove(fifo);
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  CHECK_THROWS_WITH(read_safetensors(fifo), fifo + ": not a regular file");
  CHECK_THROWS_WITH(read_safetensors(dir), dir + ": not a regular file");
}

TEST_CASE("A checkpoint restores parameters, optimizer state and the training state", "[common][safetensors][checkpoint]") {
  const std::string path = test::scratch_dir("safetensors-checkpoint") + "/c.safetensors";
  Weights w(2.0f);
  Tensor velocity({2, 3}, 0.25f);
  Rng rng(7);
  rng.next_u64();
  save_checkpoint(path, "Net(3)", w.named(), {{"0.weight.velocity", &velocity}},
                  TrainingState{4, 120, rng.state(), "momentum"}, {{"run", "batch=8"}});
  CHECK(read_safetensors(path).tensors.count("optimizer.0.weight.velocity") == 1);

  Weights dest(0.0f);
  Tensor dest_velocity({2, 3});
  const TrainingState state = load_checkpoint(path, "Net(3)", dest.named(), {{"0.weight.velocity", &dest_velocity}},
                                              "momentum", {{"run", "batch=8"}});
  CHECK(state.epoch == 4);
  CHECK(state.step == 120);
  CHECK(state.rng == rng.state());
  CHECK(state.optimizer == "momentum");
  CHECK(same_bits(dest.weight, w.weight));
  CHECK(same_bits(dest_velocity, velocity));
}

TEST_CASE("A checkpoint of another optimizer or another run is refused without changing anything", "[common][safetensors][checkpoint]") {
  const std::string path = test::scratch_dir("safetensors-checkpoint-mismatch") + "/c.safetensors";
  Weights w(2.0f);
  save_checkpoint(path, "Net(3)", w.named(), {}, TrainingState{1, 5, {}, "sgd"}, {{"run", "batch=8"}});
  Weights dest(0.0f);
  Tensor velocity({2, 3});
  CHECK_THROWS_WITH(load_checkpoint(path, "Net(3)", dest.named(), {{"v", &velocity}}, "momentum"),
                    Contains(path + ": optimizer mismatch: the checkpoint holds the state of 'sgd', this run uses 'momentum'"));
  CHECK_THROWS_WITH(load_checkpoint(path, "Net(3)", dest.named(), {}, "sgd", {{"run", "batch=16"}}),
                    Contains("the checkpoint was written with run 'batch=8' but this run has 'batch=16'"));
  CHECK(same_bits(dest.weight, Weights(0.0f).weight));  // the failed loads changed nothing
  load_checkpoint(path, "Net(3)", dest.named(), {}, "sgd", {{"run", "batch=8"}});
  CHECK(same_bits(dest.weight, w.weight));
}

TEST_CASE("An RNG state survives the trip through hex", "[common][safetensors][checkpoint]") {
  Rng rng(123);
  rng.next_u64();
  const std::string hex = rng_state_to_hex(rng.state());
  CHECK(hex.size() == 64);
  CHECK(rng_state_from_hex(hex) == rng.state());
  CHECK_THROWS_WITH(rng_state_from_hex("xyz"), Contains("is not 64 lowercase hex digits"));
}
