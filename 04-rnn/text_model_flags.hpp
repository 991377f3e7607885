// The command-line flags charlm and chapter 06's gpt share: where the text comes from, how the run
// trains and for how long, the model and checkpoint files, and sampling. Each program sets its own
// defaults in the struct before adding the flags, and adds its model's own flags between the two
// calls (after --load, which they exclude).
#pragma once

#include <CLI/CLI.hpp>
#include <cstddef>
#include <cstdint>
#include <string>

#include "04-rnn/text.hpp"

namespace dlfs {

struct TextModelFlags {
  // The text.
  std::string fortunes_dir = kDefaultFortunesDir, text_path, split_dir;
  // The run.
  std::size_t batch = 32, epochs = 0, eval_every = 100, eval_windows = 256;
  float lr = 2e-3f, clip = 1.0f;
  double minutes = 9.0;
  std::uint64_t seed = 42;
  int threads = 1;
  // Files.
  std::string load_path, save_path, checkpoint_path, resume_path, out_dir;
  // Sampling.
  std::size_t sample_chars = 300, num_samples = 1, top_k = 0;
  float temperature = 0.8f;
  std::string prompt_text;

  // --load FILE (`holds` says what the file brings, e.g. "its cell, sizes and vocabulary"). The
  // returned option is what the model's size flags exclude.
  CLI::Option* add_load(CLI::App& app, const std::string& holds);
  // Every other shared flag: --batch, --lr (described as `lr_help`), --clip, --minutes, --epochs,
  // --eval-every, --eval-windows, --fortunes, --text, --write-split, --save, --sample, --samples,
  // --temperature, --top-k, --prompt, --seed, --threads, --out (`out_help`), --checkpoint, --resume.
  void add_run(CLI::App& app, CLI::Option* load, const std::string& lr_help, const std::string& out_help);
};

// A number check that says its range in words ("must be greater than 0, not -1"): CLI11's own
// prints the range as a 300-digit number.
CLI::Validator at_least(double low, bool strictly);

}  // namespace dlfs
