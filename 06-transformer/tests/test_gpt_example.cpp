// The gpt example, run as a learner runs it, on a small text file written to a scratch directory:
// bad input ends in one line naming the problem and exit status 1; a tiny model's validation loss
// falls well below ln V in 160 steps; a model saved with --save and read back with --load evaluates
// to the same loss; the attention maps and the samples are written.
#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>

#include "tests/support/example_runs.hpp"
#include "tests/support/tmp.hpp"

#ifndef DLFS_GPT_EXE
#error "DLFS_GPT_EXE must name the example program (06-transformer/meson.build passes it)"
#endif

using namespace dlfs;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

namespace {

// The example with one thread and its output in dir/runs, as run_program runs it.
test::Run run_gpt(const std::string& dir, const std::string& args) {
  return test::run_program(std::string("'") + DLFS_GPT_EXE + "' --threads 1 --out '" + dir + "/runs' " + args, dir);
}

// 60 short paragraphs of a few repeated sentences: every tenth goes to validation.
std::string write_text(const std::string& dir) {
  const std::string path = dir + "/text.txt";
  std::ofstream out(path);
  const char* lines[] = {"the cat sat on the mat.", "a dog ate the hat.", "the hat sat on a cat.", "a mat ate the dog."};
  for (int p = 0; p < 60; ++p) out << lines[p % 4] << " " << lines[(p / 4) % 4] << "\n" << p << "\n\n";
  return path;
}

// The tiny model every run here uses: trains at a few thousand steps a minute.
const std::string kTiny = "--context 16 --width 16 --heads 2 --layers 1 --batch 8 --eval-every 20 --eval-windows 16 ";

}  // namespace

TEST_CASE("gpt trains a tiny model on a text file, saves it, and --load gives the same validation loss",
          "[06-transformer][example]") {
  const std::string dir = test::scratch_dir("06-gpt-example");
  const std::string text = write_text(dir);
  // 8 epochs of 20 batches: a fixed number of steps (the time budget is far away), however busy the machine.
  const test::Run trained = run_gpt(dir, kTiny + "--text '" + text + "' --epochs 8 --minutes 5 --lr 1e-2 --warmup 10 "
                                           "--sample 40 --save '" + dir + "/model.safetensors'");
  INFO(trained.out << trained.err);
  REQUIRE(trained.status == 0);
  const auto result = test::result_line(trained.out);
  CHECK(result.at("steps") == "160");
  const std::size_t at = trained.out.find("vocabulary ");
  REQUIRE(at != std::string::npos);
  const double V = std::stod(trained.out.substr(at + 11));
  CHECK(std::stod(result.at("val_loss")) < 0.6 * std::log(V));  // well below every character equally likely
  CHECK_THAT(trained.out, Contains("--- sample 1 (temperature 0.8) ---"));
  CHECK_THAT(trained.out, Contains("with the key-value cache"));
  CHECK(std::filesystem::exists(dir + "/runs/attention.svg"));
  CHECK(std::filesystem::exists(dir + "/runs/curves.svg"));

  const test::Run loaded = run_gpt(dir, "--text '" + text + "' --minutes 0 --sample 20 --no-cache --load '" + dir +
                                      "/model.safetensors'");
  INFO(loaded.out << loaded.err);
  REQUIRE(loaded.status == 0);
  CHECK(test::result_line(loaded.out).at("val_loss") == result.at("val_loss"));
  CHECK_THAT(loaded.out, Contains("recomputing every window"));
}

TEST_CASE("gpt ends bad input with one line naming the problem, and exit status 1", "[06-transformer][example]") {
  const std::string dir = test::scratch_dir("06-gpt-example-errors");
  const std::string text = write_text(dir);
  auto error_of = [&](const std::string& args) {
    const test::Run r = run_gpt(dir, args);
    CHECK(r.status == 1);
    CHECK(r.out.find("result:") == std::string::npos);
    return r.err;
  };
  std::ofstream(dir + "/empty.txt").close();
  CHECK_THAT(error_of("--text '" + dir + "/empty.txt'"), StartsWith("gpt: error: " + dir + "/empty.txt: is empty"));
  CHECK_THAT(error_of("--text '" + dir + "/missing.txt'"), StartsWith("gpt: error: " + dir + "/missing.txt: cannot read it"));
  CHECK_THAT(error_of(kTiny + "--text '" + text + "' --prompt 'the €'"),
             StartsWith("gpt: error: --prompt: '€' (U+20AC) at character 5 is not in the vocabulary"));
  CHECK_THAT(error_of(kTiny + "--text '" + text + "' --attention-text 'THE'"),
             StartsWith("gpt: error: --attention-text: 'T' at character 1 is not in the vocabulary"));
  CHECK_THAT(error_of(kTiny + "--text '" + text + "' --prompt 'the cat sat on the mat. a dog'"),
             StartsWith("gpt: error: --prompt: 29 characters are more than the model's context of 16"));
  CHECK_THAT(error_of("--text '" + text + "' --heads 3"),
             StartsWith("gpt: error: GPT: the width 128 is not a multiple of the 3 heads"));
  CHECK_THAT(error_of("--layers 0"), StartsWith("gpt: error: --layers: Value 0 not in range"));

  // A model file cut short.
  REQUIRE(run_gpt(dir, kTiny + "--text '" + text + "' --minutes 0 --sample 0 --save '" + dir + "/model.safetensors'")
              .status == 0);
  std::filesystem::copy_file(dir + "/model.safetensors", dir + "/cut.safetensors");
  std::filesystem::resize_file(dir + "/cut.safetensors", std::filesystem::file_size(dir + "/model.safetensors") / 2);
  const std::string cut = error_of("--text '" + text + "' --load '" + dir + "/cut.safetensors'");
  CHECK_THAT(cut, StartsWith("gpt: error: " + dir + "/cut.safetensors: truncated"));
}

TEST_CASE("gpt with dropout on two threads, killed with SIGKILL and resumed from its checkpoint, saves the "
          "uninterrupted run's model, byte for byte",
          "[06-transformer][example][resume]") {
  const std::string dir = test::scratch_dir("06-gpt-example-resume");
  const std::string text = write_text(dir);
  // Eight epochs of 20 steps (the time budget is far away), evaluated every 7 steps so that a report
  // straddles the checkpoints; dropout everywhere, on two threads, so the checkpoint must carry the
  // dropout streams of the model and of its replica.
  const std::string run = std::string("'") + DLFS_GPT_EXE + "' --text '" + text + "' " +
                          "--context 16 --width 16 --heads 2 --layers 1 --batch 8 --eval-every 7 --eval-windows 16 " +
                          "--dropout 0.1 --epochs 8 --minutes 60 --warmup 10 --sample 0 --threads 2 --seed 5 ";
  const auto [whole, resumed] = test::check_kill_and_resume(run, dir, 8);
  CHECK(test::result_line(resumed.out).at("val_bits_per_char") == test::result_line(whole.out).at("val_bits_per_char"));

  // A checkpoint of other settings is refused, naming the file.
  const test::Run other = test::run_program(run + "--lr 1e-2 --out '" + dir + "/other' --resume '" + dir +
                                                "/c.safetensors'", dir);
  CHECK(other.status == 1);
  CHECK_THAT(other.err, StartsWith("gpt: error: " + dir + "/c.safetensors"));
}
