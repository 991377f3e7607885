// The text pipeline: UTF-8, the cleaning rules, entries and the split, the vocabulary, file errors.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "04-rnn/text.hpp"
#include "04-rnn/text_cleaning.hpp"
#include "04-rnn/utf8.hpp"
#include "04-rnn/vocabulary.hpp"
#include "tests/support/tmp.hpp"

using namespace dlfs;
using Catch::Contains;
namespace fs = std::filesystem;

namespace {

void write_file(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out << bytes;
}

// Catch2 cannot print a u32string: compare their UTF-8 spellings instead.
std::string utf8(const std::u32string& text) { return encode_utf8(text); }

}  // namespace

// ---- UTF-8 ---------------------------------------------------------------------------------

TEST_CASE("UTF-8 decoding and encoding round-trip characters of every length", "[04-rnn][text][utf8]") {
  const std::string bytes = "a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80";  // a é € 😀: 1, 2, 3, 4 bytes
  const Utf8Text decoded = decode_utf8(bytes);
  CHECK(decoded.invalid_bytes == 0);
  REQUIRE(decoded.text == std::u32string{U'a', 0xE9, 0x20AC, 0x1F600});
  CHECK(encode_utf8(decoded.text) == bytes);
}

TEST_CASE("Invalid UTF-8 bytes are dropped and counted", "[04-rnn][text][utf8]") {
  CHECK(utf8(decode_utf8("a\xFF" "b").text) == "ab");                // a byte that never appears in UTF-8
  CHECK(decode_utf8("a\xFF" "b").invalid_bytes == 1);
  CHECK(utf8(decode_utf8("x\x80y").text) == "xy");                   // a continuation byte with no lead
  CHECK(decode_utf8("\xC0\xAF").invalid_bytes == 2);                 // an overlong '/'
  CHECK(decode_utf8("\xED\xA0\x80").invalid_bytes == 3);             // a surrogate, U+D800
  CHECK(decode_utf8("\xF4\x90\x80\x80").invalid_bytes == 4);         // past U+10FFFF
  const Utf8Text cut = decode_utf8("ok\xE2\x82");                    // a sequence cut short at the end
  CHECK(utf8(cut.text) == "ok");
  CHECK(cut.invalid_bytes == 2);
  const Utf8Text resumed = decode_utf8("\xE2\x82" "\xC3\xA9");       // decoding resumes at the next good lead
  CHECK(resumed.text == std::u32string{0xE9});
}

// ---- cleaning ------------------------------------------------------------------------------

TEST_CASE("Overstrikes keep the character printed last in each column", "[04-rnn][text][clean]") {
  CHECK(utf8(apply_backspaces(U"an _\bN here")) == "an N here");                // underlined N
  CHECK(utf8(apply_backspaces(U"*____\b\b\b\bonly* ones")) == "*only* ones");   // an underlined word
  CHECK(utf8(apply_backspaces(U"Honor'\be de Balzac")) == "Honore de Balzac");  // an accent typed over
  CHECK(utf8(apply_backspaces(U"*_\b_\b_\bthat")) == "*that");                  // underlined one letter at a time
  CHECK(utf8(apply_backspaces(U"X\bX")) == "X");                                // bold: struck twice
  std::size_t overstruck = 0;
  CHECK(utf8(apply_backspaces(U"\bstart\nab\n\bc", &overstruck)) == "start\nab\nc");  // never past a line's start
  CHECK(overstruck == 0);
  apply_backspaces(U"____\b\b\b\bonly", &overstruck);
  CHECK(overstruck == 4);
}

TEST_CASE("Bells and other control characters are dropped, newlines and tabs kept", "[04-rnn][text][clean]") {
  std::size_t dropped = 0;
  const std::u32string text = U"Ask not for whom the <CONTROL-G>\a tolls.\r\n\tA\x01" U"B\x7F\x85\uFEFF!";
  CHECK(utf8(drop_control_characters(text, &dropped)) == "Ask not for whom the <CONTROL-G> tolls.\n\tAB!");
  CHECK(dropped == 6);  // BEL, CR, SOH, DEL, NEL (a C1 control), BOM
}

TEST_CASE("Mis-encoded UTF-8 read as Latin-1 is repaired, twice-encoded too", "[04-rnn][text][clean]") {
  std::size_t repaired = 0;
  // ’ (E2 80 99) read as the three Latin-1 characters â, U+0080, U+0099.
  CHECK(utf8(repair_mojibake(U"don\u00E2\u0080\u0099t", &repaired)) == "don\u2019t");
  CHECK(repaired == 1);
  // The same, encoded once more: Ã¢ Â<U+0080> Â<U+0099> -> â <U+0080> <U+0099> -> ’.
  CHECK(utf8(repair_mojibake(U"Here\u00C3\u00A2\u00C2\u0080\u00C2\u0099s")) == "Here\u2019s");
  CHECK(utf8(repair_mojibake(U"a fine of \u00C2\u00A35")) == "a fine of \u00A35");  // Â£ -> £
  // Real Latin-1 letters never spell a UTF-8 sequence on their own: they stay.
  for (const std::u32string text : {U"coup d'\u00E9tat", U"\u00FCber mir", U"Linuxkongre\u00DF '95", U"caf\u00E9\u00E9"})
    CHECK(utf8(repair_mojibake(text)) == utf8(text));
}

TEST_CASE("clean_text runs every rule on raw bytes and counts what each did", "[04-rnn][text][clean]") {
  CleaningCounts counts;
  const std::string raw = "_\bN is \xFF" "bad\a, don\xC3\xA2\xC2\x80\xC2\x99t   \r\nok\t \n";
  CHECK(utf8(clean_text(raw, &counts)) == "N is bad, don\u2019t\nok\n");
  CHECK(counts.invalid_bytes == 1);
  CHECK(counts.overstruck == 1);
  CHECK(counts.mojibake_repairs == 1);
  CHECK(counts.control_dropped == 2);  // the bell and the carriage return
}

// ---- entries and the split -----------------------------------------------------------------

TEST_CASE("Fortune files split into entries at lines holding only %", "[04-rnn][text][split]") {
  const auto entries = split_fortune_entries(U"\nfirst\n%\n\nsecond line\nand third\n\n%\n%\n100%% sure\n%");
  REQUIRE(entries.size() == 3);
  CHECK(utf8(entries[0]) == "first\n");
  CHECK(utf8(entries[1]) == "second line\nand third\n");  // blank lines at the ends trimmed
  CHECK(utf8(entries[2]) == "100%% sure\n");              // "%%" is text, not a separator
}

TEST_CASE("Paragraphs are runs of non-empty lines; lines are non-empty lines", "[04-rnn][text][split]") {
  const auto paragraphs = split_paragraphs(U"one\ntwo\n\n\nthree\n");
  REQUIRE(paragraphs.size() == 2);
  CHECK(utf8(paragraphs[0]) == "one\ntwo\n");
  CHECK(utf8(paragraphs[1]) == "three\n");
  CHECK(split_lines(U"a\n\nb").size() == 2);
}

TEST_CASE("Every tenth distinct entry goes to validation, whole, and duplicates are dropped", "[04-rnn][text][split]") {
  std::vector<std::u32string> entries;
  for (int i = 1; i <= 25; ++i) {
    entries.push_back(U"entry " + std::u32string(1, char32_t(U'A' + i)) + U"\n");
    if (i == 3) entries.push_back(entries.back());  // a repeat, dropped before counting
  }
  const TextSplit split = split_every_tenth(entries, U"%\n");
  CHECK(split.duplicates == 1);
  CHECK(split.train_entries == 23);
  CHECK(split.validation_entries == 2);
  // The 10th and 20th distinct entries, i = 10 and 20, each followed by the separator.
  CHECK(utf8(split.validation) == utf8(U"entry " + std::u32string(1, U'A' + 10) + U"\n%\nentry " +
                                       std::u32string(1, U'A' + 20) + U"\n%\n"));
  // Every entry is whole on exactly one side.
  for (std::size_t k = 0; k < entries.size(); ++k) {
    const bool in_train = split.train.find(entries[k] + U"%\n") != std::u32string::npos;
    const bool in_val = split.validation.find(entries[k] + U"%\n") != std::u32string::npos;
    CHECK(in_train != in_val);
  }
  CHECK(split.train.find(entries[2] + U"%\n" + entries[2]) == std::u32string::npos);  // the repeat is gone
}

// ---- vocabulary ----------------------------------------------------------------------------

TEST_CASE("The vocabulary is the training text's characters, sorted, and encoding round-trips", "[04-rnn][text][vocabulary]") {
  const std::u32string text = U"banana split\n\u00E9";
  const Vocabulary v = Vocabulary::from_text(text);
  CHECK(utf8(v.characters()) == utf8(U"\n abilnpst\u00E9"));
  CHECK(v.size() == 11);
  CHECK(v.id(U'a') == 2);
  CHECK(v.id(U'z') == -1);
  const std::vector<int> ids = v.encode(text);
  CHECK(ids.size() == text.size());
  CHECK(utf8(v.decode(ids)) == utf8(text));
}

TEST_CASE("An unknown character is an error naming it in encode, and dropped in encode_known", "[04-rnn][text][vocabulary]") {
  const Vocabulary v = Vocabulary::from_text(U"abc ");
  CHECK_THROWS_WITH(v.encode(U"a cab\u00E9"), Contains("'\u00E9' (U+00E9) at character 6 is not in the vocabulary"));
  CHECK_THROWS_WITH(v.encode(U"ab\n"), Contains("'\\n' at character 3"));
  std::size_t dropped = 0;
  CHECK(v.encode_known(U"abzcz", &dropped) == std::vector<int>{1, 2, 3});
  CHECK(dropped == 2);
  CHECK_THROWS(v.decode({0, 4}));
}

TEST_CASE("The vocabulary survives the metadata text, and bad metadata is refused", "[04-rnn][text][vocabulary]") {
  const Vocabulary v = Vocabulary::from_text(U"\t\n%Az\u00E9\u2019");
  CHECK(v.to_metadata() == "9,10,37,65,122,233,8217");
  CHECK(Vocabulary::from_metadata(v.to_metadata()).characters() == v.characters());
  CHECK(code_points_from_text(code_points_to_text(U"\n%\n")) == U"\n%\n");
  CHECK_THROWS_WITH(Vocabulary::from_metadata("10,,32"), Contains("'' is not a code point"));
  CHECK_THROWS_WITH(Vocabulary::from_metadata("10,x"), Contains("'x' is not a code point"));
  CHECK_THROWS_WITH(Vocabulary::from_metadata("55296"), Contains("not a code point"));  // a surrogate
  CHECK_THROWS_WITH(Vocabulary::from_metadata("10,10"), Contains("appears twice"));
  CHECK_THROWS(Vocabulary::from_metadata(""));
}

// ---- files ---------------------------------------------------------------------------------

TEST_CASE("A text file that cannot be used is an error naming the file", "[04-rnn][text][files]") {
  const std::string dir = test::scratch_dir("04-rnn-text-errors");
  write_file(dir + "/empty.txt", "");
  write_file(dir + "/binary.bin", std::string("GIF89a\x01\x00\x02", 9));
  write_file(dir + "/latin1.txt", std::string(50, '\xE9'));
  write_file(dir + "/short.txt", "one\ntwo\nthree\n");
  CHECK_THROWS_WITH(load_text_file(dir + "/missing.txt"), Contains(dir + "/missing.txt: cannot read it"));
  CHECK_THROWS_WITH(load_text_file(dir + "/empty.txt"), Contains(dir + "/empty.txt: is empty"));
  CHECK_THROWS_WITH(load_text_file(dir + "/binary.bin"), Contains(dir + "/binary.bin: looks binary (a NUL byte at offset 7)"));
  CHECK_THROWS_WITH(load_text_file(dir), Contains(dir + ": is a directory"));
  CHECK_THROWS_WITH(load_text_file(dir + "/latin1.txt"), Contains(dir + "/latin1.txt: 50 of its 50 bytes are not UTF-8"));
  CHECK_THROWS_WITH(load_text_file(dir + "/short.txt"), Contains(dir + "/short.txt: too short to split: 3 distinct lines"));
  CHECK_THROWS_WITH(load_fortunes(dir + "/nowhere"), Contains(dir + "/nowhere: no such directory") && Contains("Debian's fortunes package"));
  CHECK_THROWS_WITH(load_fortunes(dir), Contains(dir + "/binary.bin: looks binary"));  // a broken file is named
  fs::create_directory(dir + "/no-entries");
  write_file(dir + "/no-entries/cookies", "%\n\n%\n");
  CHECK_THROWS_WITH(load_fortunes(dir + "/no-entries"), Contains(dir + "/no-entries: holds no fortune files"));
}

TEST_CASE("A plain text file is split by paragraphs, every tenth to validation", "[04-rnn][text][files]") {
  const std::string dir = test::scratch_dir("04-rnn-text-file");
  std::string text;
  for (int i = 1; i <= 20; ++i) text += "Paragraph " + std::to_string(i) + ",\nits second line.\r\n\n";
  write_file(dir + "/book.txt", text);
  const TextCorpus corpus = load_text_file(dir + "/book.txt");
  CHECK(corpus.train_entries == 18);
  CHECK(corpus.validation_entries == 2);
  CHECK(utf8(corpus.validation) == "Paragraph 10,\nits second line.\n\nParagraph 20,\nits second line.\n\n");
  CHECK(corpus.cleaning.control_dropped == 20);  // the carriage returns
  CHECK(utf8(corpus.start) == "\n\n");
}

TEST_CASE("Fortune files are read once each: .dat files, .u8 links and repeated files are skipped", "[04-rnn][text][files]") {
  const std::string dir = test::scratch_dir("04-rnn-fortunes");
  std::string a, b;
  for (int i = 1; i <= 12; ++i) a += "Fortune a" + std::to_string(i) + ".\n%\n";
  for (int i = 1; i <= 8; ++i) b += "Fortune b" + std::to_string(i) + "\n_\bX marks it.\n%\n";
  write_file(dir + "/alpha", a);
  write_file(dir + "/beta", b);
  write_file(dir + "/gamma", a);                       // the same bytes as alpha
  write_file(dir + "/alpha.dat", std::string("\x00\x00\x00\x02", 4));  // binary: would be refused if read
  fs::create_symlink("alpha", dir + "/alpha.u8");
  const TextCorpus corpus = load_fortunes(dir);
  CHECK(corpus.files == 2);
  CHECK(corpus.train_entries + corpus.validation_entries == 20);
  CHECK(corpus.validation_entries == 2);
  CHECK(corpus.cleaning.overstruck == 8);
  CHECK(utf8(corpus.validation) == "Fortune a10.\n%\nFortune b8\nX marks it.\n%\n");
  CHECK(utf8(corpus.start) == "%\n");
}

TEST_CASE("Debian's fortunes load into about two million training characters", "[04-rnn][text][data]") {
  // ./dlfs setup installs them; a test that passed without them would prove nothing.
  if (!fs::is_directory(kDefaultFortunesDir)) FAIL(kDefaultFortunesDir << " is missing: run ./dlfs setup");
  const TextCorpus corpus = load_fortunes();
  const Vocabulary v = Vocabulary::from_text(corpus.train);
  CHECK(corpus.train.size() > 2'000'000);
  CHECK(corpus.validation.size() > corpus.train.size() / 12);  // about a ninth of training
  CHECK(corpus.validation.size() < corpus.train.size() / 7);
  CHECK(v.size() > 90);
  CHECK(v.size() < 130);
  for (char32_t c : v.characters()) CHECK(((c == U'\n' || c == U'\t' || c >= 0x20) && c != 0x7F));
}
