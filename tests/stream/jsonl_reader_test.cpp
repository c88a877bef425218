#include "hotpath/stream/jsonl_reader.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "stream_test_util.hpp"

namespace hs = hotpath::stream;

namespace {

std::vector<std::int64_t> ids(std::string_view raw, std::size_t block = 0,
                              hs::bad_lines bad = hs::bad_lines::error,
                              std::vector<std::uint64_t>* bad_lines_seen = nullptr) {
  hs::jsonl_reader<hs::memory_source> r(
      hs::memory_source(raw, block),
      {.bad = bad, .on_bad_line = [&](std::uint64_t line, std::string_view) {
         if (bad_lines_seen) bad_lines_seen->push_back(line);
       }});
  std::vector<std::int64_t> out;
  while (auto doc = r.next())
    out.push_back(int64_t((*doc)["id"]));
  return out;
}

TEST(JsonlReader, ReadsOneDocumentPerLineSkippingBomAndBlankLines) {
  std::string raw = "\xEF\xBB\xBF{\"id\":1}\n\n   \n{\"id\":2,\"s\":\"x\\ny\"}\r\n{\"id\":3}";
  for (std::size_t block : {std::size_t{0}, std::size_t{3}, std::size_t{5}})
    EXPECT_EQ(ids(raw, block), (std::vector<std::int64_t>{1, 2, 3})) << block;
}

TEST(JsonlReader, ABadLineIsAnErrorAfterTheGoodLinesBeforeIt) {
  for (std::string bad : {std::string("not json"), std::string("{\"id\":4"),
                          std::string("{\"id\":5} {\"id\":6}"), std::string("{\"id\":\"\xff\"}")}) {
    std::string raw = "{\"id\":1}\n{\"id\":2}\n" + bad + "\n{\"id\":9}\n";
    hs::jsonl_reader<hs::memory_source> r{hs::memory_source(raw)};
    std::vector<std::int64_t> got;
    try {
      while (auto doc = r.next())
        got.push_back(int64_t((*doc)["id"]));
      ADD_FAILURE() << bad;
    } catch (const hs::format_error& e) {
      EXPECT_EQ(e.layer(), "jsonl");
      EXPECT_EQ(e.line(), 3u) << bad;
      EXPECT_NE(e.problem().find("invalid JSON document"), std::string::npos);
    }
    EXPECT_EQ(got, (std::vector<std::int64_t>{1, 2}));
  }
}

TEST(JsonlReader, ATruncatedLastRecordIsAnError) {
  std::string raw = "{\"id\":1}\n{\"id\":2,\"tail\":[1,2";
  hs::jsonl_reader<hs::memory_source> r{hs::memory_source(raw)};
  EXPECT_TRUE(r.next());
  try {
    (void)r.next();
    ADD_FAILURE();
  } catch (const hs::format_error& e) {
    EXPECT_EQ(e.line(), 2u);
  }
}

TEST(JsonlReader, SkipPolicyCountsAndReportsBadLines) {
  std::string raw = "{\"id\":1}\ngarbage\n{\"id\":2}\n{\"id\":\n{\"id\":3}\n";
  std::vector<std::uint64_t> seen;
  EXPECT_EQ(ids(raw, 0, hs::bad_lines::skip, &seen), (std::vector<std::int64_t>{1, 2, 3}));
  EXPECT_EQ(seen, (std::vector<std::uint64_t>{2, 4}));
  hs::jsonl_reader<hs::memory_source> r(hs::memory_source(raw), {.bad = hs::bad_lines::skip});
  while (r.next()) {
  }
  EXPECT_EQ(r.documents(), 3u);
  EXPECT_EQ(r.skipped(), 2u);
}

TEST(JsonlReader, ReadsCompressedInputAndLongDocuments) {
  hotpath_test::temp_dir dir;
  std::string raw;
  for (int i = 0; i < 5000; ++i)
    raw += "{\"id\":" + std::to_string(i) + ",\"pad\":\"" +
           std::string(static_cast<std::size_t>(i % 300), 'p') + "\"}\n";
  std::string xz = hotpath_test::compress_with(dir, raw, "xz");
  auto got = ids(xz, 777);
  ASSERT_EQ(got.size(), 5000u);
  for (int i = 0; i < 5000; ++i)
    ASSERT_EQ(got[static_cast<std::size_t>(i)], i);
}

// Big inputs go through parse_many in batches; a bad line deep inside one sends that batch
// line by line, and the following batches go back to parse_many with the right line numbers.
TEST(JsonlReader, BadLinesDeepInLargeInputsKeepExactLineNumbers) {
  std::string raw;
  std::vector<std::uint64_t> bad_at;
  std::vector<std::int64_t> want;
  for (int i = 1; i <= 200000; ++i) {
    if (i % 50000 == 7) {
      raw += "{\"id\": broken}\n";
      bad_at.push_back(static_cast<std::uint64_t>(i));
    } else if (i % 70000 == 3) {
      raw += "{\"id\":1} {\"id\":2}\n";  // two documents on one line
      bad_at.push_back(static_cast<std::uint64_t>(i));
    } else if (i % 90000 == 5) {
      raw += "{\"id\":\n";  // a document split over two lines: both are bad
      raw += "5}\n";
      bad_at.push_back(static_cast<std::uint64_t>(i));
      bad_at.push_back(static_cast<std::uint64_t>(++i));
    } else if (i % 1000 == 0) {
      raw += "  \n";
    } else {
      raw += "{\"id\":" + std::to_string(i) + ",\"pad\":\"" +
             std::string(static_cast<std::size_t>(i % 97), 'x') + "\"}\n";
      want.push_back(i);
    }
  }
  // simdjson's helper thread (when built with threads) runs stage 1 of the next 1 MiB ahead:
  // the same documents and errors either way.
  for (bool thread : {false, true}) {
    for (std::size_t block : {std::size_t{0}, std::size_t{100000}}) {
      std::vector<std::uint64_t> seen;
      hs::jsonl_reader<hs::memory_source> r(
          hs::memory_source(raw, block),
          {.bad = hs::bad_lines::skip,
           .on_bad_line = [&](std::uint64_t line, std::string_view) { seen.push_back(line); },
           .simdjson_thread = thread});
      std::vector<std::int64_t> got;
      while (auto doc = r.next()) {
        got.push_back(int64_t((*doc)["id"]));
        ASSERT_EQ(r.line_number(), static_cast<std::uint64_t>(got.back())) << block << thread;
      }
      EXPECT_EQ(got, want) << block << thread;
      EXPECT_EQ(seen, bad_at) << block << thread;
    }
  }
  hs::jsonl_reader<hs::memory_source> strict{hs::memory_source(raw)};
  std::size_t n = 0;
  try {
    while (strict.next())
      ++n;
    ADD_FAILURE();
  } catch (const hs::format_error& e) {
    EXPECT_EQ(e.line(), bad_at.front());
  }
  EXPECT_EQ(n, bad_at.front() - 1 - (bad_at.front() - 1) / 1000);
}

}  // namespace

// A reader reset onto a new input (a worker's next chunk) starts over: no document, line or
// count of the old input leaks into the new one, even when the old one was left mid-batch.
TEST(JsonlReader, ResetStartsOverOnTheNewInput) {
  std::string first;
  for (int i = 1; i <= 30000; ++i)
    first += "{\"id\":" + std::to_string(i) + "}\n";
  std::string second = "\xEF\xBB\xBF{\"id\":101}\n\nbroken\n{\"id\":102}\n{\"id\":103}";
  std::vector<std::uint64_t> seen;
  hs::jsonl_reader<hs::memory_source, hs::plain> r(
      hs::memory_source(first),
      {.bad = hs::bad_lines::skip,
       .on_bad_line = [&](std::uint64_t line, std::string_view) { seen.push_back(line); }});
  for (int i = 1; i <= 10; ++i) {
    auto doc = r.next();
    ASSERT_TRUE(doc);
    ASSERT_EQ(int64_t((*doc)["id"]), i);
  }
  for (int round = 0; round < 2; ++round) {
    r.reset(hs::memory_source(second, round == 0 ? 0 : 4));
    std::vector<std::int64_t> got;
    std::vector<std::uint64_t> lines;
    while (auto doc = r.next()) {
      got.push_back(int64_t((*doc)["id"]));
      lines.push_back(r.line_number());
    }
    EXPECT_EQ(got, (std::vector<std::int64_t>{101, 102, 103})) << round;
    EXPECT_EQ(lines, (std::vector<std::uint64_t>{1, 4, 5})) << round;
    EXPECT_EQ(r.documents(), 3u) << round;
    EXPECT_EQ(r.skipped(), 1u) << round;
  }
  EXPECT_EQ(seen, (std::vector<std::uint64_t>{3, 3}));
  // Back on a large input: parse_many batches again, counted from its first line.
  r.reset(hs::memory_source(first));
  std::int64_t want = 0;
  while (auto doc = r.next()) {
    ASSERT_EQ(int64_t((*doc)["id"]), ++want);
    ASSERT_EQ(r.line_number(), static_cast<std::uint64_t>(want));
  }
  EXPECT_EQ(want, 30000);
  EXPECT_EQ(r.documents(), 30000u);
}
