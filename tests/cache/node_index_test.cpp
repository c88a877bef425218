#include "hotpath/cache/detail/node_index.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <random>
#include <stdexcept>
#include <vector>

#include "hotpath/cache/detail/node_list.hpp"

namespace hd = hotpath::detail;

namespace {

// Node indices stand for nodes whose keys live in `keys`; a key's hash is what the cache gives
// the index (mixed, times an odd constant), unless a test narrows it to force collisions.
struct fixture {
  std::vector<std::uint64_t> keys;
  std::uint64_t hash_mask = ~std::uint64_t{0};  // bits kept of each hash
  hd::node_index ix;

  std::uint64_t hash(std::uint64_t key) const {
    return (hd::mix64(key) * 0x9e3779b97f4a7c15ull) & hash_mask;
  }
  hd::node_index::position find(std::uint64_t key) const {
    return ix.find(hash(key), [&](std::uint32_t i) { return keys[i] == key; });
  }
  std::uint32_t add(std::uint64_t key) {
    auto i = static_cast<std::uint32_t>(keys.size());
    keys.push_back(key);
    ix.prepare_insert([&](std::uint32_t j) { return hash(keys[j]); });
    ix.insert(hash(key), i);
    return i;
  }
};

TEST(NodeIndex, AnEmptyIndexFindsNothing) {
  fixture f;
  EXPECT_EQ(f.ix.size(), 0u);
  EXPECT_EQ(f.ix.slot_count(), 0u);
  EXPECT_EQ(f.find(7), hd::node_index::npos);
  EXPECT_EQ(f.ix.scan_for(0), hd::node_index::npos);
}

TEST(NodeIndex, FindsWhatWasInsertedAndNotWhatWasErased) {
  fixture f;
  for (std::uint64_t k = 0; k < 1000; ++k)
    f.add(k * 3);
  EXPECT_EQ(f.ix.size(), 1000u);
  for (std::uint64_t k = 0; k < 3000; ++k) {
    auto p = f.find(k);
    if (k % 3 == 0) {
      ASSERT_NE(p, hd::node_index::npos) << k;
      EXPECT_EQ(f.ix.at(p), k / 3);
    } else {
      EXPECT_EQ(p, hd::node_index::npos) << k;
    }
  }
  for (std::uint64_t k = 0; k < 3000; k += 6)
    f.ix.erase(f.find(k));
  EXPECT_EQ(f.ix.size(), 500u);
  for (std::uint64_t k = 0; k < 3000; k += 3)
    EXPECT_EQ(f.find(k) == hd::node_index::npos, k % 6 == 0) << k;
}

TEST(NodeIndex, KeepsAtMostSixtyPercentOfItsSlotsUsed) {
  fixture f;
  for (std::uint64_t k = 0; k < 5000; ++k) {
    f.add(k);
    ASSERT_LE(f.ix.size() * 5, f.ix.slot_count() * 3) << k;
  }
  // It doubles from one group: 512 groups hold 3686 entries at 60%, 1024 hold the rest.
  EXPECT_EQ(f.ix.slot_count(), 1024u * hd::node_index::group_slots);
}

TEST(NodeIndex, StopsGrowingAtTheSizeTheExpectedEntriesNeed) {
  fixture f;
  f.ix.expect(5000);
  for (std::uint64_t k = 0; k < 5000; ++k)
    f.add(k);
  // 5000 entries at 60% need 8334 slots: 695 groups, not the 1024 of the doubling.
  EXPECT_EQ(f.ix.slot_count(), 695u * hd::node_index::group_slots);
  // More than expected: it grows on, by doubling.
  for (std::uint64_t k = 5000; k < 5100; ++k)
    f.add(k);
  EXPECT_EQ(f.ix.slot_count(), 1390u * hd::node_index::group_slots);
  for (std::uint64_t k = 0; k < 5100; ++k)
    ASSERT_EQ(f.ix.at(f.find(k)), k);
}

// Every hash has the same home group and tag: each lookup walks the probe sequence and checks
// every slot of every group on it.
TEST(NodeIndex, EqualHashesProbeOnAcrossGroups) {
  fixture f;
  f.hash_mask = 0x11;  // home group 0, tag 0x11, overflow bit 0
  for (std::uint64_t k = 0; k < 200; ++k)
    f.add(k);
  for (std::uint64_t k = 0; k < 200; ++k) {
    auto p = f.find(k);
    ASSERT_NE(p, hd::node_index::npos) << k;
    EXPECT_EQ(f.ix.at(p), k);
  }
  EXPECT_EQ(f.find(200), hd::node_index::npos);
}

// Erasing from groups that inserts overflowed lowers the load allowed until the next rebuild,
// which clears the overflow bits; entries survive it and the index keeps its size.
TEST(NodeIndex, ErasesFromOverflowedGroupsBringARebuildAtTheSameSize) {
  fixture f;
  f.hash_mask = 0x11;
  for (std::uint64_t k = 0; k < 60; ++k)
    f.add(k);
  std::size_t slots = f.ix.slot_count();
  ASSERT_EQ(slots, 16u * hd::node_index::group_slots);  // 60 entries need 100 slots
  // Churn: erase the oldest, add a new key, keeping 60 entries. Every erase is from a group
  // with overflow bits (all groups on the probe sequence but its last have them).
  std::uint64_t oldest = 0;
  for (std::uint64_t k = 60; k < 2000; ++k) {
    f.ix.erase(f.find(oldest++));
    f.add(k);
    ASSERT_EQ(f.ix.size(), 60u);
    ASSERT_EQ(f.ix.slot_count(), slots) << k;
  }
  for (std::uint64_t k = 0; k < 2000; ++k)
    EXPECT_EQ(f.find(k) == hd::node_index::npos, k < 1940) << k;
}

TEST(NodeIndex, AFailedRebuildLeavesTheIndexUnchanged) {
  fixture f;
  for (std::uint64_t k = 0; k < 7; ++k)
    f.add(k);  // one group of 12 slots holds 7 at 60%
  ASSERT_EQ(f.ix.slot_count(), 12u);
  int calls = 0;
  EXPECT_THROW(f.ix.prepare_insert([&](std::uint32_t j) -> std::uint64_t {
    if (++calls == 4) throw std::runtime_error("hash");
    return f.hash(f.keys[j]);
  }),
               std::runtime_error);
  EXPECT_EQ(f.ix.slot_count(), 12u);
  EXPECT_EQ(f.ix.size(), 7u);
  for (std::uint64_t k = 0; k < 7; ++k)
    EXPECT_EQ(f.ix.at(f.find(k)), k);
}

TEST(NodeIndex, ScanFindsANodeWithoutItsHash) {
  fixture f;
  for (std::uint64_t k = 0; k < 300; ++k)
    f.add(k + 1000);
  for (std::uint32_t i = 0; i < 300; ++i)
    EXPECT_EQ(f.ix.scan_for(i), f.find(i + 1000));
  EXPECT_EQ(f.ix.scan_for(300), hd::node_index::npos);
  f.ix.erase(f.find(1005));
  EXPECT_EQ(f.ix.scan_for(5), hd::node_index::npos);
}

TEST(NodeIndex, MovesTakeTheEntries) {
  fixture f;
  for (std::uint64_t k = 0; k < 100; ++k)
    f.add(k);
  hd::node_index other(std::move(f.ix));
  EXPECT_EQ(other.size(), 100u);
  EXPECT_EQ(f.ix.size(), 0u);
  EXPECT_EQ(f.find(5), hd::node_index::npos);
  f.ix = std::move(other);
  EXPECT_EQ(f.ix.at(f.find(5)), 5u);
}

// Random inserts, erases and lookups against std::map, over a key range where both hits and
// misses are common, with narrowed hashes in some rounds so that groups overflow.
TEST(NodeIndex, MatchesAMapUnderRandomChurn) {
  for (std::uint64_t mask : {~std::uint64_t{0}, std::uint64_t{0xfff0'0000'0000'03ff}}) {
    fixture f;
    f.hash_mask = mask;
    std::map<std::uint64_t, std::uint32_t> model;
    std::mt19937_64 rng(42);
    for (int op = 0; op < 200'000; ++op) {
      std::uint64_t k = rng() % 3000;
      auto p = f.find(k);
      auto it = model.find(k);
      ASSERT_EQ(p != hd::node_index::npos, it != model.end()) << op;
      if (it != model.end()) {
        ASSERT_EQ(f.ix.at(p), it->second);
      }
      if (rng() % 2 == 0) {
        if (it == model.end()) model[k] = f.add(k);
      } else if (it != model.end()) {
        f.ix.erase(p);
        model.erase(it);
      }
      ASSERT_EQ(f.ix.size(), model.size());
    }
  }
}

}  // namespace
