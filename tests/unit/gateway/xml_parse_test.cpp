// ParseXmlBody: the one strict parse every S3 XML request body goes through.
#include <gtest/gtest.h>

#include <string>

#include "gateway/xml.h"

namespace fsgate::gateway {
namespace {

using namespace std::string_literals;

// The key of the first <Object> of a <Delete> body, or "(refused)".
std::string KeyOf(const std::string& body) {
  pugi::xml_document doc;
  pugi::xml_node root = ParseXmlBody(body, "Delete", doc);
  if (!root) return "(refused)";
  return ChildText(root.child("Object"), "Key");
}

std::string Delete(const std::string& key_xml) {
  return "<Delete><Object><Key>" + key_xml + "</Key></Object></Delete>";
}

TEST(ParseXmlBody, ReadsWellFormedBodies) {
  EXPECT_EQ(KeyOf(Delete("victim.bak")), "victim.bak");
  EXPECT_EQ(KeyOf("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + Delete("a&amp;b&lt;")), "a&b<");
  EXPECT_EQ(KeyOf("<Delete xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Object><Key>k"
                  "</Key></Object></Delete>"),
            "k");
  // Character references to XML Chars, in decimal and hex.
  EXPECT_EQ(KeyOf(Delete("a&#46;b&#x9;&#xA;&#xD;&#x20;&#xD7FF;&#xE000;&#xFFFD;&#x10FFFF;")),
            "a.b\t\n\r \xed\x9f\xbf\xee\x80\x80\xef\xbf\xbd\xf4\x8f\xbf\xbf");
  EXPECT_EQ(KeyOf(Delete("caf\xc3\xa9")), "caf\xc3\xa9");
  // In CDATA and comments "&#0;" is literal text, not a reference.
  EXPECT_EQ(KeyOf(Delete("<![CDATA[x&#0;]]>")), "x&#0;");
  EXPECT_EQ(KeyOf("<Delete><!-- &#0; --><Object><Key>k</Key></Object></Delete>"), "k");
}

TEST(ParseXmlBody, RefusesReferencesToCharactersXmlForbids) {
  for (const char* ref :
       {"&#0;",       "&#8;",           "&#x0;",    "&#x8;",    "&#xB;",    "&#xC;",    "&#xE;",
        "&#x1F;",     "&#31;",          "&#xFFFE;", "&#xFFFF;", "&#65535;", "&#xD800;", "&#xDFFF;",
        "&#x110000;", "&#99999999999;", "&#;",      "&#x;",     "&#12a;",   "&#x4G;",   "&#-1;",
        "&#65"}) {
    EXPECT_EQ(KeyOf(Delete("victim"s + ref + ".bak")), "(refused)") << ref;
  }
}

TEST(ParseXmlBody, RefusesRawCharactersXmlForbidsAndBytesThatAreNotUtf8) {
  for (const std::string& raw :
       {"\0"s, "\x01"s, "\x08"s, "\x0b"s, "\x0c"s, "\x1f"s, "\xef\xbf\xbe"s /* U+FFFE */,
        "\xef\xbf\xbf"s, "\xff"s, "\xc0\xae"s /* overlong '.' */, "\xed\xa0\x80"s /* surrogate */,
        "\xc3"s}) {
    EXPECT_EQ(KeyOf(Delete("victim" + raw + ".bak")), "(refused)");
    EXPECT_EQ(KeyOf(Delete("<![CDATA[victim" + raw + "]]>")), "(refused)");
  }
}

TEST(ParseXmlBody, RootMustBeNamedExactlyInS3sNamespaceOrNone) {
  const std::string objects = "<Object><Key>victim</Key></Object>";
  EXPECT_EQ(KeyOf("<x:NotDelete xmlns:x=\"http://s3.amazonaws.com/doc/2006-03-01/\">" + objects +
                  "</x:NotDelete>"),
            "(refused)");
  EXPECT_EQ(KeyOf("<x:Delete xmlns:x=\"http://s3.amazonaws.com/doc/2006-03-01/\">" + objects +
                  "</x:Delete>"),
            "(refused)");
  EXPECT_EQ(KeyOf("<NotDelete>" + objects + "</NotDelete>"), "(refused)");
  EXPECT_EQ(KeyOf("<delete>" + objects + "</delete>"), "(refused)");
  EXPECT_EQ(KeyOf("<Delete xmlns=\"http://example.com/\">" + objects + "</Delete>"), "(refused)");
  // A declared prefix is harmless while the root does not use it.
  EXPECT_EQ(KeyOf("<Delete xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\" "
                  "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">" +
                  objects + "</Delete>"),
            "victim");
  EXPECT_EQ(KeyOf(""), "(refused)");
  EXPECT_EQ(KeyOf("<Delete>" + objects), "(refused)");
}

TEST(ChildText, MatchesNamesExactly) {
  pugi::xml_document doc;
  pugi::xml_node root = ParseXmlBody(
      "<Delete><x:Object xmlns:x=\"urn:x\"><Key>a</Key></x:Object><Object><x:Key xmlns:x=\"urn:x\">"
      "b</x:Key><KeyX>c</KeyX></Object></Delete>",
      "Delete", doc);
  ASSERT_TRUE(root);
  EXPECT_EQ(ChildText(root, "Object"), "");
  EXPECT_EQ(ChildText(root.child("Object"), "Key"), "");
}

}  // namespace
}  // namespace fsgate::gateway
