// sacreBLEU's 13a and zh tokenizers on the cases of its own documentation and test suite, the
// entity unescaping, digit rules, Python's whitespace rule, and the literal quirk of the zh
// ranges (U+2001…U+2A6D count as Chinese characters).
#include "workers/eval/bleu_tokenizers.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace florenz::eval {
namespace {

using ::testing::ElementsAre;

TEST(BleuTokenizersTest, ThirteenASplitsPunctuationButNotNumbers) {
  EXPECT_EQ(Tokenize13a("I'm a student."), "I'm a student .");
  EXPECT_EQ(Tokenize13a("Hello, world! 3.14 and 1,000 - 2-3"),
            "Hello , world ! 3.14 and 1,000 - 2 - 3");
  EXPECT_EQ(
      Tokenize13a("(a) [b] {c} \"d\" e/f g:h i;j k?l m@n #o $p %q *r +s =t <u> ~v ^w _x |y `z"),
      "( a ) [ b ] { c } \" d \" e / f g : h i ; j k ? l m @ n # o $ p % q * r + s = t < u > "
      "~ v ^ w _ x | y ` z");
  // A period or comma after a non-digit, or before one, is split: only digit.digit stays.
  EXPECT_EQ(Tokenize13a("end.Next,word 5.x a,1 3,5"), "end . Next , word 5 . x a , 1 3,5");
  EXPECT_EQ(Tokenize13a("A &amp; B &lt;tag&gt; &quot;q&quot;"), "A & B < tag > \" q \"");
  EXPECT_EQ(Tokenize13a("line-\nbreak\nnext <skipped> word"), "linebreak next word");
  EXPECT_EQ(Tokenize13a("  many \t  spaces\u00a0and\u3000more  "), "many spaces and more");
  EXPECT_EQ(Tokenize13a(""), "");
}

TEST(BleuTokenizersTest, ZhMakesEveryChineseCharacterAWord) {
  EXPECT_EQ(TokenizeZh("教我中文吧"), "教 我 中 文 吧");
  EXPECT_EQ(TokenizeZh("我有3个苹果。"), "我 有 3 个 苹 果 。");
  EXPECT_EQ(TokenizeZh("  他说：“好的，OK.”  "), "他 说 ： “ 好 的 ， OK . ”");
  EXPECT_EQ(TokenizeZh("   "), "");
  EXPECT_THAT(BleuWords("一个红色的圆", BleuTokenize::kZh),
              ElementsAre("一", "个", "红", "色", "的", "圆"));
}

TEST(BleuTokenizersTest, ZhKeepsSacreBleusRangeQuirk) {
  // u'\u20000' is U+2000 then '0' in Python: U+2000 itself is not in the range, U+2001 is.
  EXPECT_EQ(TokenizeZh("a\u2026b"), "a … b");      // … U+2026
  EXPECT_EQ(TokenizeZh("x\u2192y"), "x → y");      // → U+2192
  EXPECT_EQ(TokenizeZh("p\u2000q"), "p q");        // U+2000 is a space to str.split()
  EXPECT_EQ(TokenizeZh("\u2a6e"), "\u2a6e");       // just past u'\u2a6d6' (= U+2A6D, '6')
  EXPECT_EQ(Tokenize13a("a\u2026b"), "a\u2026b");  // 13a leaves it alone
}

TEST(BleuTokenizersTest, TheDefaultFollowsTheTargetLanguage) {
  EXPECT_EQ(DefaultBleuTokenize("zh"), BleuTokenize::kZh);
  EXPECT_EQ(DefaultBleuTokenize("zh-tw"), BleuTokenize::kZh);
  EXPECT_EQ(DefaultBleuTokenize("de"), BleuTokenize::k13a);
  EXPECT_THAT(BleuWords("Ein Hund, der bellt.", BleuTokenize::k13a),
              ElementsAre("Ein", "Hund", ",", "der", "bellt", "."));
  EXPECT_TRUE(BleuWords("", BleuTokenize::k13a).empty());
}

}  // namespace
}  // namespace florenz::eval
