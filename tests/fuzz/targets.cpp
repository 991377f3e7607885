#include "tests/fuzz/targets.hpp"

#include <string>

namespace dlfs::fuzz {

const std::vector<Target>& targets() {
  static const std::vector<Target> all = {
      {"csv", fuzz_csv, seed_csv},
      {"idx", fuzz_idx, seed_idx},
      {"fashion_mnist", fuzz_fashion_mnist, seed_fashion_mnist},
      {"model", fuzz_model, seed_model},
      {"checkpoint", fuzz_checkpoint, seed_checkpoint},
      {"text", fuzz_text, seed_text},
      {"weather", fuzz_weather, seed_weather},
      {"char_model", fuzz_char_model, seed_char_model},
      {"gpt", fuzz_gpt, seed_gpt},
  };
  return all;
}

const Target& target(std::string_view name) {
  std::string names;
  for (const Target& t : targets()) {
    if (t.name == name) return t;
    names += (names.empty() ? "" : ", ") + std::string(t.name);
  }
  throw std::invalid_argument("no fuzz target '" + std::string(name) + "'; targets: " + names);
}

}  // namespace dlfs::fuzz
