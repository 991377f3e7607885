// Model files and training checkpoints: named float32 tensors in the safetensors layout.
//
// A file is (spec with examples in 08-utilities/README.md):
//
//   bytes 0-7   N, the length of the JSON header, unsigned 64-bit little-endian
//   bytes 8..   N bytes of JSON (UTF-8), padded with spaces to a multiple of 8:
//                 {"__metadata__": {"format": "dlfs", "format_version": "1", "kind": "model",
//                                   "architecture": "Sequential(Flatten, Dense(784, 256), ...)",
//                                   "checksum_crc32": "9a3c01f2", "header_crc32": "5be0c7d1", ...},
//                  "1.weight": {"dtype": "F32", "shape": [256, 784], "data_offsets": [0, 802816]},
//                  ...}
//   then        the data section: every tensor's values as raw little-endian float32, row-major,
//               at [begin, end) byte offsets relative to the start of this section, packed
//               without gaps or overlaps.
//
// Why this layout: it is Hugging Face's safetensors, which Python tools already read (numpy alone
// does, in 08-utilities/read_safetensors.py); a JSON header is self-describing and a learner can
// open it in a text editor; the data is one flat memcpy.
//
// Two promises:
//   * Saving never leaves a broken file where a good one was: the bytes go to a temporary file in
//     the same directory, which is flushed to disk (fsync) and then renamed over the target
//     (rename is atomic on POSIX), and the directory is synced so the rename itself survives a
//     power cut. A crash at any moment leaves either the old file or the new one.
//   * Loading checks everything before it changes anything: the file's structure, its checksums,
//     then the architecture, names and shapes against the destination; only when all of it holds
//     are the values copied. Every failure is a std::runtime_error "<path>: <what is wrong>".
//
// The checksums are CRC-32 (zlib's crc32, the polynomial of gzip and PNG), stored as 8 lowercase
// hex digits: "checksum_crc32" of the data section, and "header_crc32" of the header itself (of its
// canonical form, keys sorted and no whitespace, without "header_crc32"), so that a changed digit
// in a metadata value (a pixel mean a model standardizes with) is an error too. Files written
// before header checksums existed have none, and load as before. They catch torn writes and bit
// rot, not tampering: a size in a header that checks out is still only the file's word, which is
// why the loaders that build a model from metadata check its sizes against the file first.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "common/random.hpp"
#include "common/tensor.hpp"

namespace dlfs {

// Tensors by name, in a fixed order. The same type as chapter 02's Optimizer::state(), so an
// optimizer's state can be saved as it is.
using NamedTensors = std::vector<std::pair<std::string, Tensor*>>;
// String key-value pairs stored in the header's "__metadata__" (safetensors allows strings only).
using Metadata = std::map<std::string, std::string>;

// The values of a list of parameters (anything with `name` and `value`, e.g. chapter 02's
// Parameter) as named tensors: named_values(model.parameters()).
template <class Param>
NamedTensors named_values(const std::vector<Param*>& parameters) {
  NamedTensors out;
  for (Param* p : parameters) out.emplace_back(p->name, &p->value);
  return out;
}

// The version this code writes and the only one it reads. Bump it when the layout or the meaning
// of a metadata key changes; readers then fail with "unknown format version" instead of guessing.
inline constexpr const char* kModelFormatVersion = "1";
// A header longer than this is refused before anything is allocated (the safetensors library uses
// the same cap): a corrupted length must not make us try to read gigabytes.
inline constexpr std::uint64_t kMaxHeaderBytes = 100'000'000;

// ---- the file layer: tensors and metadata in, the same out ----------------------------------

// Writes tensors (their names must be unique and non-empty, and must not start with "__") and
// metadata atomically to path. Adds "format", "format_version" and "checksum_crc32" to the
// metadata. Creates missing parent directories. Throws std::runtime_error naming the path, and
// writes nothing, when a value is NaN or infinite (a diverged run must not replace a good file).
void write_safetensors(const std::string& path, const NamedTensors& tensors, Metadata metadata);

struct SafetensorsFile {
  std::map<std::string, Tensor> tensors;
  Metadata metadata;
};

// Reads and validates a whole file: length prefix, JSON, format version, every tensor's dtype,
// shape and offsets, the checksum. Throws std::runtime_error "<path>: ..." on the first problem.
SafetensorsFile read_safetensors(const std::string& path);

// The metadata entry `key` as a finite number (a model's pixel mean, say). Throws std::runtime_error
// "<path>: ..." when the entry is missing or is not a finite number, so that a corrupted or foreign
// file is named instead of failing later in std::stof's words.
float metadata_number(const std::string& path, const Metadata& metadata, const std::string& key);

// The metadata entry `key` as a size: a whole number from 1 to 999,999,999 written in digits (a
// model's width, say). Throws std::runtime_error "<path>: ..." when it is missing or anything else.
// The bound keeps a corrupted size from reaching an allocation before the file's tensors are
// compared with the sizes (the loaders check that next).
std::size_t metadata_positive_integer(const std::string& path, const Metadata& metadata, const std::string& key);

// ---- models: the learnable tensors of one architecture --------------------------------------

// metadata "kind" = "model" and "architecture" = architecture (e.g. Layer::name()), plus `extra`.
void save_model(const std::string& path, const std::string& architecture, const NamedTensors& parameters,
                const Metadata& extra = {});
// Reads path, checks that it is a model of this architecture holding exactly these names with
// these shapes, then copies the values into parameters. Returns the file's metadata.
// On any error nothing has been changed.
Metadata load_model(const std::string& path, const std::string& architecture, const NamedTensors& parameters);

// ---- checkpoints: a model plus everything needed to continue training exactly ---------------

// Where training stands at the end of an epoch.
struct TrainingState {
  std::size_t epoch = 0;  // epochs completed
  std::size_t step = 0;   // optimizer updates so far (drives the learning-rate schedule)
  Rng::State rng{};       // the stream that shuffles (and augments) the next epoch
  std::string optimizer;  // Optimizer::name(): state from one optimizer never loads into another
};

// Parameters under their own names, optimizer state under "optimizer.<name>"; metadata "kind" =
// "checkpoint", the architecture, the TrainingState (rng as 4 x 16 hex digits), plus `extra`.
void save_checkpoint(const std::string& path, const std::string& architecture, const NamedTensors& parameters,
                     const NamedTensors& optimizer_state, const TrainingState& state, const Metadata& extra = {});
// Validates like load_model, for parameters and optimizer state, checks the optimizer's name, and
// checks that every entry of `must_match` (e.g. the run's hyperparameters) equals the file's;
// then copies the tensors and returns the TrainingState. On any error nothing has been changed.
TrainingState load_checkpoint(const std::string& path, const std::string& architecture,
                              const NamedTensors& parameters, const NamedTensors& optimizer_state,
                              const std::string& optimizer_name, const Metadata& must_match = {});

// "0123456789abcdef..." (64 hex digits) and back; parse throws std::invalid_argument on bad text.
std::string rng_state_to_hex(const Rng::State& state);
Rng::State rng_state_from_hex(const std::string& hex);

}  // namespace dlfs
