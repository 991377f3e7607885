// A model file loaded as chapter 02's mlp --load FILE does: common's load_model into the MLP's
// parameters (it reads the safetensors file, checks it, and only then copies), then the
// standardization the model was trained with, from the file's metadata. The MLP is small
// (4 -> 3 -> 2) so that its files are small seeds; the loader does not depend on the sizes.
#include "02-mlp/mlp.hpp"
#include "common/safetensors.hpp"
#include "tests/fuzz/targets.hpp"

namespace dlfs::fuzz {

namespace {

Sequential small_mlp() {
  Rng rng(1);
  return make_mlp(4, {3}, 2, "relu", rng);
}

}  // namespace

bool fuzz_model(Bytes bytes) {
  const std::string path = write_file("input.safetensors", bytes);
  Sequential model = small_mlp();
  const NamedTensors weights = named_values(model.parameters());
  return loads(path, [&] {
    const Metadata info = load_model(path, model.name(), weights);
    const float mean = metadata_number(path, info, "pixel_mean"), stddev = metadata_number(path, info, "pixel_stddev");
    (void)mean, (void)stddev;
  });
}

void seed_model(const std::string& dir) {
  Sequential model = small_mlp();
  save_model(dir + "/mlp.safetensors", model.name(), named_values(model.parameters()),
             {{"pixel_mean", "0.2860"}, {"pixel_stddev", "0.3530"}, {"epochs", "10"}});
}

}  // namespace dlfs::fuzz
