// The transcript convention's parser and matcher (the docs suite itself runs the READMEs).
#include <catch2/catch.hpp>

#include "tests/docs/transcript.hpp"

using namespace dlfs::docs;

TEST_CASE("A marked block becomes commands with their expected output", "[docs][transcript]") {
  const std::string md =
      "text\n\n<!-- transcript -->\n```\n$ build/a --x \\\n    --y\nline 1\n...\n$ cmp a b && echo same\nsame\n```\n"
      "\n```sh\nbuild/a   # a list of commands, not a transcript\n```\n"
      "<!-- transcript: measured 2026-11-30 on a 2-core AMD EPYC, 7 min -->\n```\n$ build/tune\nresult: x=1\n```\n";
  const auto ts = parse_transcripts(md, "R.md");
  REQUIRE(ts.size() == 2);
  CHECK(!ts[0].measured);
  CHECK(ts[0].line == 3);
  REQUIRE(ts[0].commands.size() == 2);
  CHECK(ts[0].commands[0].text == "build/a --x \\\n    --y");
  CHECK(ts[0].commands[0].line == 5);
  CHECK(ts[0].commands[0].expected == std::vector<std::string>{"line 1", "..."});
  CHECK(ts[0].commands[1].expected == std::vector<std::string>{"same"});
  CHECK(ts[1].measured);
  CHECK(ts[1].note == "2026-11-30 on a 2-core AMD EPYC, 7 min");
}

TEST_CASE("Broken markers and unmarked transcripts are errors naming the line", "[docs][transcript]") {
  CHECK_THROWS_WITH(parse_transcripts("\n```\n$ build/a\nout\n```\n", "R.md"),
                    Catch::StartsWith("R.md:2: a command with its output but no marker"));
  CHECK_THROWS_WITH(parse_transcripts("<!-- transcript: measured on my laptop -->\n```\n$ a\n```\n", "R.md"),
                    Catch::StartsWith("R.md:1: a measured transcript says when"));
  CHECK_THROWS_WITH(parse_transcripts("<!-- transcript -->\nsome prose\n```\n$ a\n```\n", "R.md"),
                    Catch::StartsWith("R.md:1: transcript marker without a code block"));
  CHECK_THROWS_WITH(parse_transcripts("<!-- transcript -->\n```\nout\n$ a\n```\n", "R.md"),
                    Catch::StartsWith("R.md:3: transcript output before its first command"));
  CHECK_THROWS_WITH(parse_transcripts("<!-- transcript: maybe -->\n```\n$ a\n```\n", "R.md"),
                    Catch::StartsWith("R.md:1: unknown transcript marker"));
}

TEST_CASE("Timings, rates and sizes are masked, other numbers are not", "[docs][transcript]") {
  CHECK(mask_varying("test_accuracy 0.8909 (0.32s)") == "test_accuracy 0.8909 (\u2026s)");
  CHECK(mask_varying("loss 0.1483  105980 samples/s  took 0.6s") == "loss 0.1483  \u2026 samples/s  took \u2026s");
  CHECK(mask_varying("epochs=10 seconds_per_epoch=1.169 peak_rss_mb=161.9 threads=2") ==
        "epochs=10 seconds_per_epoch=\u2026 peak_rss_mb=\u2026 threads=2");
  CHECK(mask_varying("seconds=18.3, peak RSS 162 MB") == "seconds=\u2026 peak RSS \u2026 MB");
  CHECK(mask_varying("crc32 a29e268c, 2 rungs, 18x1 6x3, step 3752") == "crc32 a29e268c, 2 rungs, 18x1 6x3, step 3752");
}

TEST_CASE("Output matches exactly, with ... for lines or words and timings skipped", "[docs][transcript]") {
  const std::vector<std::string> actual = {"model: m", "epoch 1: acc 0.80 (0.31s)", "epoch 2: acc 0.85 (0.30s)",
                                           "result: acc=0.85 epochs=2 seconds=0.6 threads=1"};
  CHECK(output_matches({"model: m", "...", "epoch 2: acc 0.85 (0.99s)", "result: acc=0.85 ... threads=1"}, actual));
  CHECK(output_matches({"...", "result: acc=0.85 epochs=2 ..."}, actual));
  CHECK(output_matches({"model: m  ", "...", "..."}, actual));
  CHECK_FALSE(output_matches({"...", "epoch 2: acc 0.86 (0.30s)", "..."}, actual));  // a number differs
  CHECK_FALSE(output_matches({"model: m", "epoch 2: acc 0.85 (0.30s)", "..."}, actual));  // a line is missing
  CHECK_FALSE(output_matches({"...", "result: acc=0.85 epochs=2"}, actual));  // the line goes on
  CHECK_FALSE(output_matches({"model: m"}, actual));  // more output follows
  CHECK(output_matches({}, {}));
  CHECK_FALSE(output_matches({}, {"unexpected"}));
}
