// The compact structures of the import's bookkeeping (compact_strings.h,
// email_hash_set.h): exact answers whatever the hashes do.
#include "imports/compact_strings.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "imports/email_hash_set.h"

namespace relance::imports {
namespace {

TEST(StringArenaTest, KeepsEveryStringWholeAcrossBlocks) {
  StringArena arena;
  std::vector<std::string> texts;
  std::vector<StringArena::Ref> refs;
  for (int i = 0; i < 50'000; ++i) {
    texts.push_back("customer " + std::to_string(i) + std::string(static_cast<size_t>(i % 200), 'x'));
  }
  texts.push_back(std::string(300'000, 'l'));  // longer than a quarter block: a block of its own
  texts.push_back(std::string(2'000'000, 'L'));  // longer than a block
  texts.push_back("after the long ones");
  for (const auto& t : texts) refs.push_back(arena.Add(t));
  for (size_t i = 0; i < texts.size(); ++i) EXPECT_EQ(arena.Get(refs[i]), texts[i]) << i;
  EXPECT_TRUE(arena.Add("").empty());
  EXPECT_EQ(arena.Get(arena.Add("")), "");
  EXPECT_EQ(arena.Get(StringArena::Ref{}), "");
}

struct VectorKeys {
  const std::vector<std::string>* keys;
  std::string_view operator()(int32_t i) const { return (*keys)[static_cast<size_t>(i)]; }
};

TEST(SlotKeyIndexTest, FindsExactKeysOnly) {
  std::vector<std::string> keys;
  for (int i = 0; i < 100'000; ++i) keys.push_back("C" + std::to_string(i));
  keys.push_back("C1");  // the same key as slot 1
  keys.push_back("");
  SlotKeyIndex<VectorKeys> index{VectorKeys{&keys}};
  for (int32_t i = 0; i < 100'000; ++i) EXPECT_EQ(index.Insert(i), SlotKeyIndex<VectorKeys>::kNone);
  EXPECT_EQ(index.Insert(100'000), 1);  // kept: the first slot of that key
  EXPECT_EQ(index.Insert(100'001), SlotKeyIndex<VectorKeys>::kNone);
  EXPECT_EQ(index.size(), 100'001u);
  for (int32_t i = 0; i < 100'000; ++i) ASSERT_EQ(index.Find(keys[static_cast<size_t>(i)]), i);
  EXPECT_EQ(index.Find(""), 100'001);
  EXPECT_EQ(index.Find("C100000"), SlotKeyIndex<VectorKeys>::kNone);
  EXPECT_EQ(index.Find("c1"), SlotKeyIndex<VectorKeys>::kNone);
  size_t seen = 0;
  index.ForEach([&](int32_t) { ++seen; });
  EXPECT_EQ(seen, 100'001u);
}

TEST(EmailHashSetTest, SaysSeenOnlyForAddressesInsertedBefore) {
  EmailHashSet set;
  set.Reserve(10'000);
  for (int i = 0; i < 30'000; ++i) {  // past the reserve: the table grows
    ASSERT_TRUE(set.Insert("a" + std::to_string(i) + "@x.fr")) << i;
  }
  for (int i = 0; i < 30'000; ++i) ASSERT_FALSE(set.Insert("a" + std::to_string(i) + "@x.fr"));
  EXPECT_EQ(set.size(), 30'000u);
}

}  // namespace
}  // namespace relance::imports
