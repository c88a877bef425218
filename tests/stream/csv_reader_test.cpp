#include "hotpath/stream/csv_reader.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "stream_test_util.hpp"

namespace hs = hotpath::stream;

namespace {

using table = std::vector<std::vector<std::string>>;

table parse(std::string_view raw, std::size_t block = 0, bool header = false,
            hs::ragged_rows ragged = hs::ragged_rows::error, char delim = ',', char quote = '"') {
  hs::csv_reader<hs::memory_source> r(hs::memory_source(raw, block),
                                      {.input = {.buffer_bytes = block == 0 ? 1 << 16 : block},
                                       .delimiter = delim,
                                       .quote = quote,
                                       .header = header,
                                       .ragged = ragged});
  table out;
  while (auto row = r.next())
    out.emplace_back(row->begin(), row->end());
  return out;
}

hs::format_error parse_error(std::string_view raw, std::size_t block = 0) {
  try {
    parse(raw, block);
  } catch (const hs::format_error& e) {
    return e;
  }
  ADD_FAILURE() << "no error";
  return hs::format_error("none", "", 0);
}

TEST(CsvReader, SplitsFieldsAndRowsWithLfAndCrlf) {
  EXPECT_EQ(parse("a,b,c\n1,2,3\r\n4,5,6"),
            (table{{"a", "b", "c"}, {"1", "2", "3"}, {"4", "5", "6"}}));
  EXPECT_EQ(parse("a,,c\n,,\n"), (table{{"a", "", "c"}, {"", "", ""}}));
  EXPECT_EQ(parse("x,\n"), (table{{"x", ""}}));
  EXPECT_EQ(parse("x,"), (table{{"x", ""}}));
  EXPECT_EQ(parse(""), table{});
}

TEST(CsvReader, QuotedFieldsHoldDelimitersQuotesAndLineBreaks) {
  std::string raw = "\"a,b\",\"say \"\"hi\"\"\",\"two\r\nlines\"\n\"\",\"\"\"\",x\n";
  table want{{"a,b", "say \"hi\"", "two\r\nlines"}, {"", "\"", "x"}};
  for (std::size_t block = 0; block <= raw.size(); ++block)
    EXPECT_EQ(parse(raw, block), want) << block;
}

TEST(CsvReader, AQuoteInsideAnUnquotedFieldIsData) {
  EXPECT_EQ(parse("a,b\"c,d\n"), (table{{"a", "b\"c", "d"}}));
}

TEST(CsvReader, DataAfterAClosingQuoteIsAnError) {
  auto e = parse_error("x,y\n\"ab\"c,d\n");
  EXPECT_EQ(e.layer(), "csv");
  EXPECT_EQ(e.problem(), "unexpected character after a closing quote");
  EXPECT_EQ(e.line(), 2u);
}

TEST(CsvReader, AnUnterminatedQuoteNamesTheLineWhereTheFieldBegan) {
  std::string raw = "a,b\nc,d\ne,\"open\nstill open\nand more\n";
  for (std::size_t block : {std::size_t{0}, std::size_t{1}, std::size_t{5}}) {
    auto e = parse_error(raw, block);
    EXPECT_EQ(e.line(), 3u) << block;
    EXPECT_EQ(e.problem(), "unterminated quoted field (opened on line 3)");
    EXPECT_EQ(e.offset(), raw.size());
  }
}

TEST(CsvReader, RaggedRowsAreAnErrorByDefaultAndKeptWhenAllowed) {
  std::string raw = "a,b,c\n1,2\n3,4,5,6\n";
  auto e = parse_error(raw);
  EXPECT_EQ(e.problem(), "row has 2 fields, expected 3");
  EXPECT_EQ(e.line(), 2u);
  EXPECT_EQ(parse(raw, 0, false, hs::ragged_rows::allow),
            (table{{"a", "b", "c"}, {"1", "2"}, {"3", "4", "5", "6"}}));
}

TEST(CsvReader, HeaderNamesColumnsAndHeaderOnlyInputHasNoRows) {
  std::string raw = "\xEF\xBB\xBFid,name\n1,ann\n2,\"bob, jr\"\n";
  hs::csv_reader<hs::memory_source> r{hs::memory_source(raw)};
  EXPECT_EQ(r.header(), (std::vector<std::string>{"id", "name"}));
  EXPECT_EQ(r.column("name"), 1u);
  EXPECT_FALSE(r.column("nope").has_value());
  auto row = r.next();
  ASSERT_TRUE(row);
  EXPECT_EQ((*row)["name"], "ann");
  EXPECT_EQ(row->line(), 2u);
  EXPECT_THROW((void)(*row)["nope"], hotpath::error);
  row = r.next();
  ASSERT_TRUE(row);
  EXPECT_EQ((*row)["name"], "bob, jr");
  EXPECT_FALSE(r.next());
  EXPECT_EQ(r.rows(), 2u);

  hs::csv_reader<hs::memory_source> only(hs::memory_source("a,b\n"));
  EXPECT_EQ(only.header().size(), 2u);
  EXPECT_FALSE(only.next());
}

TEST(CsvReader, OnlyBlankLinesWithAHeaderAreAnEmptyTableAndStayAtTheEnd) {
  // Found by fuzz_csv_reader: reading on after the end looked past the input.
  hs::csv_reader<hs::memory_source> r{hs::memory_source("\n\n\n")};
  EXPECT_TRUE(r.header().empty());
  EXPECT_FALSE(r.next());
  EXPECT_FALSE(r.next());
}

TEST(CsvReader, SkipsABomAndBlankLines) {
  EXPECT_EQ(parse("\xEF\xBB\xBFx,y\n\n1,2\r\n\r\n"), (table{{"x", "y"}, {"1", "2"}}));
}

TEST(CsvReader, CustomDelimiterAndQuote) {
  EXPECT_EQ(parse("a;'b;c';'it''s'\n", 0, false, hs::ragged_rows::error, ';', '\''),
            (table{{"a", "b;c", "it's"}}));
  EXPECT_THROW(hs::csv_reader<hs::memory_source>(hs::memory_source(""), {.delimiter = '"'}),
               hotpath::error);
}

TEST(CsvReader, RowLinesCountLineBreaksInsideQuotes) {
  std::string raw = "a,\"1\n2\n3\"\nb,c\n";
  hs::csv_reader<hs::memory_source> r(hs::memory_source(raw), {.header = false});
  EXPECT_EQ(r.next()->line(), 1u);
  EXPECT_EQ(r.next()->line(), 4u);
}

TEST(CsvReader, ARowOverTheLimitIsAnError) {
  std::string raw = "a,b\n\"" + std::string(5000, 'x') + "\",y\n";
  hs::csv_reader<hs::memory_source> r(hs::memory_source(raw, 100),
                                      {.input = {.buffer_bytes = 100}, .max_record_bytes = 1000});
  try {
    while (r.next()) {
    }
    ADD_FAILURE();
  } catch (const hs::format_error& e) {
    EXPECT_EQ(e.problem(), "row longer than max_record_bytes (1000)");
    EXPECT_EQ(e.line(), 2u);
  }
}

// Random tables written with RFC 4180 quoting read back equal, in any block size and through
// gzip.
TEST(CsvReader, RoundTripsRandomTablesInAnyBlockSize) {
  std::mt19937 rng(42);
  const std::string alphabet = "abc ,\"\n\r;x1";
  table want;
  std::string raw;
  for (int r = 0; r < 400; ++r) {
    std::vector<std::string> row;
    for (int c = 0; c < 5; ++c) {
      std::string f;
      int len = static_cast<int>(rng() % 8);
      for (int k = 0; k < len; ++k)
        f.push_back(alphabet[rng() % alphabet.size()]);
      row.push_back(f);
      bool quote = f.find_first_of(",\"\n\r") != std::string::npos || rng() % 4 == 0 ||
                   (c == 0 && f.empty());
      if (c) raw.push_back(',');
      if (quote) {
        raw.push_back('"');
        for (char ch : f) {
          raw.push_back(ch);
          if (ch == '"') raw.push_back('"');
        }
        raw.push_back('"');
      } else {
        raw += f;
      }
    }
    raw += r % 2 ? "\r\n" : "\n";
    want.push_back(row);
  }
  for (std::size_t block :
       {std::size_t{0}, std::size_t{1}, std::size_t{7}, std::size_t{64}, std::size_t{1000}})
    EXPECT_EQ(parse(raw, block), want) << block;
  hotpath_test::temp_dir dir;
  std::string gz = hotpath_test::compress_with(dir, raw, "gzip");
  EXPECT_EQ(parse(gz, 100), want);
}

TEST(CsvReader, ReportsCodecErrorsWithTheLine) {
  hotpath_test::temp_dir dir;
  std::string raw;
  for (int i = 0; i < 20000; ++i)
    raw += std::to_string(i) + ",v\n";
  std::string gz = hotpath_test::compress_with(dir, raw, "gzip");
  gz.resize(gz.size() - 4);
  hs::csv_reader<hs::memory_source> r(hs::memory_source(gz, 1000),
                                      {.input = {.buffer_bytes = 4096}, .header = false});
  std::uint64_t rows = 0;
  try {
    while (r.next())
      ++rows;
    ADD_FAILURE();
  } catch (const hs::format_error& e) {
    EXPECT_EQ(e.layer(), "gzip");
    EXPECT_GT(e.line(), rows);
  }
  EXPECT_GT(rows, 10000u);
}

}  // namespace
