/* The per-call arena: zeroed, 16-byte aligned allocations of any size that stay valid until
 * reset or destroy, string helpers, and the protobuf-c allocator that unpacks into it. */
#include "common/arena.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "vbp/v1/catalog.pb-c.h"

namespace {

bool aligned16(const void *p) { return reinterpret_cast<uintptr_t>(p) % 16 == 0; }

bool all_zero(const void *p, size_t n) {
  const unsigned char *b = static_cast<const unsigned char *>(p);
  for (size_t i = 0; i < n; i++)
    if (b[i]) return false;
  return true;
}

class Arena : public ::testing::Test {
 protected:
  void TearDown() override { vbp_arena_destroy(arena); }
  vbp_arena *arena = vbp_arena_create();
};

TEST_F(Arena, ManySmallAllocationsAreAlignedZeroedAndKeepTheirContents) {
  std::vector<std::pair<unsigned char *, size_t>> blocks;
  for (size_t i = 0; i < 5000; i++) {
    size_t size = 1 + i % 37;
    unsigned char *p = static_cast<unsigned char *>(vbp_arena_alloc(arena, size));
    ASSERT_NE(p, nullptr);
    ASSERT_TRUE(aligned16(p)) << i;
    ASSERT_TRUE(all_zero(p, size)) << i;
    std::memset(p, static_cast<int>(i & 0xff), size);
    blocks.emplace_back(p, size);
  }
  for (size_t i = 0; i < blocks.size(); i++)
    for (size_t k = 0; k < blocks[i].second; k++)
      ASSERT_EQ(blocks[i].first[k], static_cast<unsigned char>(i & 0xff)) << i;
}

TEST_F(Arena, ABigAllocationIsZeroedAlignedAndLeavesSmallOnesIntact) {
  char *small1 = vbp_arena_strdup(arena, "before");
  const size_t big_size = 3 * 1024 * 1024;
  unsigned char *big = static_cast<unsigned char *>(vbp_arena_alloc(arena, big_size));
  ASSERT_TRUE(aligned16(big));
  EXPECT_TRUE(all_zero(big, big_size));
  std::memset(big, 0xAB, big_size);
  char *small2 = vbp_arena_strdup(arena, "after");
  EXPECT_STREQ(small1, "before");
  EXPECT_STREQ(small2, "after");
  EXPECT_EQ(big[0], 0xAB);
  EXPECT_EQ(big[big_size - 1], 0xAB);
}

TEST_F(Arena, AllocationsOfEverySizeAroundTheBlockSizeWork) {
  for (size_t size :
       {size_t{0}, size_t{1}, size_t{15}, size_t{16}, size_t{17}, size_t{4095}, size_t{4096},
        size_t{4097}, size_t{8191}, size_t{8192}, size_t{8193}, size_t{20000}}) {
    unsigned char *p = static_cast<unsigned char *>(vbp_arena_alloc(arena, size));
    ASSERT_NE(p, nullptr) << size;
    EXPECT_TRUE(aligned16(p)) << size;
    EXPECT_TRUE(all_zero(p, size)) << size;
    if (size) std::memset(p, 0x5A, size);
  }
}

TEST_F(Arena, AlignmentHoldsForEveryOddSize) {
  for (size_t size = 1; size < 200; size++) {
    void *p = vbp_arena_alloc(arena, size);
    ASSERT_TRUE(aligned16(p)) << size;
    alignas(16) long double value = 1.5L;
    std::memcpy(p, &value, size < sizeof value ? size : sizeof value);
  }
}

TEST_F(Arena, ResetFreesEverythingAndTheArenaKeepsWorking) {
  for (int round = 0; round < 5; round++) {
    for (int i = 0; i < 2000; i++) {
      char *p = static_cast<char *>(vbp_arena_alloc(arena, 100));
      ASSERT_TRUE(all_zero(p, 100));
      std::memset(p, 'x', 100);
    }
    void *big = vbp_arena_alloc(arena, 100000);
    ASSERT_TRUE(all_zero(big, 100000));
    std::memset(big, 'y', 100000);
    vbp_arena_reset(arena);
    /* Memory handed out again after a reset is zeroed again. */
    char *p = static_cast<char *>(vbp_arena_alloc(arena, 4000));
    ASSERT_TRUE(aligned16(p));
    ASSERT_TRUE(all_zero(p, 4000)) << round;
  }
}

TEST_F(Arena, ResetAfterABigAllocationIntoTheFirstBlockKeepsWorking) {
  vbp_arena_alloc(arena, 10);
  vbp_arena_alloc(arena, 6000); /* a block of its own behind the first */
  vbp_arena_reset(arena);
  for (int i = 0; i < 100; i++) {
    char *p = static_cast<char *>(vbp_arena_alloc(arena, 1000));
    ASSERT_TRUE(all_zero(p, 1000));
    std::memset(p, 'z', 1000);
  }
}

TEST_F(Arena, StrdupStrndupAndPrintfCopyText) {
  char source[] = "hello, arena";
  char *copy = vbp_arena_strdup(arena, source);
  source[0] = 'J';
  EXPECT_STREQ(copy, "hello, arena");
  EXPECT_STREQ(vbp_arena_strdup(arena, ""), "");
  EXPECT_STREQ(vbp_arena_strndup(arena, "abcdef", 3), "abc");
  EXPECT_STREQ(vbp_arena_strndup(arena, "ab", 0), "");
  EXPECT_STREQ(vbp_arena_printf(arena, "%s-%04d-%.2f", "id", 42, 1.5), "id-0042-1.50");
  EXPECT_STREQ(vbp_arena_printf(arena, "%s", ""), "");
  std::string long_text(20000, 'q');
  EXPECT_EQ(std::string(vbp_arena_printf(arena, "<%s>", long_text.c_str())), "<" + long_text + ">");
  EXPECT_STREQ(vbp_arena_strdup(arena, "福州市"), "福州市");
}

TEST_F(Arena, ProtobufAllocatorUnpacksAMessageIntoTheArena) {
  Vbp__V1__Region region = VBP__V1__REGION__INIT;
  region.code = const_cast<char *>("350100");
  region.name = const_cast<char *>("福州市");
  region.level = VBP__V1__REGION_LEVEL__CITY;
  region.parent_code = const_cast<char *>("350000");
  std::vector<uint8_t> wire(vbp__v1__region__get_packed_size(&region));
  vbp__v1__region__pack(&region, wire.data());

  ProtobufCAllocator allocator = vbp_arena_allocator(arena);
  Vbp__V1__Region *out = vbp__v1__region__unpack(&allocator, wire.size(), wire.data());
  ASSERT_NE(out, nullptr);
  EXPECT_STREQ(out->code, "350100");
  EXPECT_STREQ(out->name, "福州市");
  EXPECT_EQ(out->level, VBP__V1__REGION_LEVEL__CITY);
  EXPECT_STREQ(out->parent_code, "350000");
  vbp__v1__region__free_unpacked(out, &allocator); /* a no-op: the arena owns it */
}

TEST_F(Arena, ProtobufAllocatorRejectsBytesThatAreNotTheMessage) {
  const uint8_t garbage[] = {0x08, 0x01}; /* field 1 as a varint: Region.code is a string */
  ProtobufCAllocator allocator = vbp_arena_allocator(arena);
  EXPECT_EQ(vbp__v1__region__unpack(&allocator, sizeof garbage, garbage), nullptr);
}

TEST(ArenaLifetime, DestroyOfNullDoesNothing) { vbp_arena_destroy(nullptr); }

TEST(ArenaLifetime, AnUnusedArenaResetAndDestroyedLeaksNothingUnderAsan) {
  vbp_arena *a = vbp_arena_create();
  vbp_arena_reset(a);
  vbp_arena_destroy(a);
}

TEST(Xalloc, AllocatorsReturnUsableMemory) {
  char *s = vbp_xstrdup("copied");
  EXPECT_STREQ(s, "copied");
  free(s);
  unsigned char *z = static_cast<unsigned char *>(vbp_xcalloc(10, 10));
  EXPECT_TRUE(all_zero(z, 100));
  free(z);
  void *m = vbp_xmalloc(0); /* never NULL, even for zero bytes */
  EXPECT_NE(m, nullptr);
  free(m);
}

}  // namespace
