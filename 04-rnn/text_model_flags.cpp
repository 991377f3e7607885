#include "04-rnn/text_model_flags.hpp"

#include <cmath>
#include <cstdlib>

namespace dlfs {

CLI::Option* TextModelFlags::add_load(CLI::App& app, const std::string& holds) {
  return app.add_option("--load", load_path, "start from a model file saved by --save (" + holds + ")");
}

void TextModelFlags::add_run(CLI::App& app, CLI::Option* load, const std::string& lr_help, const std::string& out_help) {
  app.add_option("--batch", batch, "windows per batch")->check(CLI::Range(1, 100000));
  app.add_option("--lr", lr, lr_help)->check(at_least(0, true));
  app.add_option("--clip", clip, "clip the gradients' global norm to this (0: no clipping)")->check(at_least(0, false));
  app.add_option("--minutes", minutes, "training time budget in minutes, evaluations included (0: no training)")
      ->check(at_least(0, false));
  app.add_option("--epochs", epochs, "stop after this many passes over the training windows (0: only the time budget)");
  app.add_option("--eval-every", eval_every, "measure the validation loss every N steps")->check(CLI::Range(1, 1000000));
  app.add_option("--eval-windows", eval_windows, "validation windows in that periodic sample (the final one uses all)")
      ->check(CLI::Range(1, 100000000));
  app.add_option("--fortunes", fortunes_dir, "directory of fortune files");
  app.add_option("--text", text_path, "train on this UTF-8 text file instead (split by paragraphs, or lines)");
  app.add_option("--write-split", split_dir,
                 "also write the cleaned text to DIR/train.txt and DIR/validation.txt (for bench/run's peer)");
  app.add_option("--save", save_path, "save the trained model (weights, architecture, vocabulary) to FILE");
  app.add_option("--sample", sample_chars, "characters to sample after training (0: none)");
  app.add_option("--samples", num_samples, "how many samples to draw")->check(CLI::Range(0, 1000));
  app.add_option("--temperature", temperature, "sampling temperature (0: always the most likely character)")
      ->check(at_least(0, false));
  app.add_option("--top-k", top_k, "sample among the K most likely characters only (0: all)");
  app.add_option("--prompt", prompt_text, "text the samples continue (default: the start of a new entry)");
  app.add_option("--seed", seed, "random seed (initialisation, shuffling, sampling)");
  app.add_option("--threads", threads,
                 "threads (0: all cores); each further thread trains a copy of the model on its share of every batch")
      ->check(CLI::Range(0, 1024));
  app.add_option("--out", out_dir, out_help);
  app.add_option("--checkpoint", checkpoint_path, "after every epoch, write FILE with all it takes to resume the run");
  app.add_option("--resume", resume_path, "continue the run that wrote checkpoint FILE (give it the same flags)")
      ->excludes(load);
}

CLI::Validator at_least(double low, bool strictly) {
  return CLI::Validator(
      [low, strictly](std::string& text) -> std::string {
        char* end = nullptr;
        const double value = std::strtod(text.c_str(), &end);
        if (end == text.c_str() || *end != '\0' || !std::isfinite(value)) return "'" + text + "' is not a number";
        if (strictly ? value > low : value >= low) return "";
        return "must be " + std::string(strictly ? "greater than " : "at least ") + std::to_string(int(low)) +
               ", not " + text;
      },
      strictly ? "> 0" : ">= 0");
}

}  // namespace dlfs
