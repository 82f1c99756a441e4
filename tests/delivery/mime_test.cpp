// The MIME encoders behind the e-mail channel (R-SEND-5): what a mail client
// needs to show accents, long lines and attachments intact.
#include <gtest/gtest.h>

#include "delivery/mime_encoding.h"
#include "delivery/mime_message.h"

namespace relance::delivery {
namespace {

TEST(MimeEncoding, Base64) {
  EXPECT_EQ(Base64(""), "");
  EXPECT_EQ(Base64("f"), "Zg==");
  EXPECT_EQ(Base64("fo"), "Zm8=");
  EXPECT_EQ(Base64("foo"), "Zm9v");
  std::string lines = Base64Lines(std::string(100, '\xff'));
  EXPECT_EQ(lines.substr(76, 2), "\r\n");
  EXPECT_EQ(lines.size(), 136u + 2 * 2);
}

TEST(MimeEncoding, QuotedPrintable) {
  EXPECT_EQ(QuotedPrintable("Zoé = 1 €"), "Zo=C3=A9 =3D 1 =E2=82=AC");
  EXPECT_EQ(QuotedPrintable("a \nb\r\nc"), "a=20\r\nb\r\nc");
  EXPECT_EQ(QuotedPrintable("From here"), "=46rom here");
  std::string long_line = QuotedPrintable(std::string(200, 'x'));
  size_t start = 0;
  while (start < long_line.size()) {
    size_t end = long_line.find("\r\n", start);
    if (end == std::string::npos) end = long_line.size();
    EXPECT_LE(end - start, 76u);
    start = end + 2;
  }
}

TEST(MimeEncoding, HeaderText) {
  EXPECT_EQ(EncodeHeaderText("Invoice 42", 9), "Invoice 42");
  EXPECT_EQ(EncodeHeaderText("Facture échue", 9), "=?utf-8?B?RmFjdHVyZSDDqWNodWU=?=");
  EXPECT_EQ(EncodeHeaderText("a\r\nBcc: x@y", 9), "a  Bcc: x@y");  // no header injection
  std::string folded = EncodeHeaderText(std::string(60, 'e') + "é€" + std::string(60, 'z'), 9);
  EXPECT_NE(folded.find("\r\n "), std::string::npos);
  EXPECT_EQ(EncodeDisplayName("ACME SAS"), "ACME SAS");
  EXPECT_EQ(EncodeDisplayName("ACME, \"SAS\""), "\"ACME, \\\"SAS\\\"\"");
  EXPECT_EQ(Rfc2231Value("été.pdf"), "utf-8''%C3%A9t%C3%A9.pdf");
}

TEST(MimeMessage, RefusesUnusableAddresses) {
  EmailMessage m;
  m.message_id = "x@y";
  m.from_address = "a@b.test";
  EXPECT_EQ(BuildMimeMessage(m, 0, "s").error().code(), ErrorCode::kFailedPrecondition);
  m.to = {"not-an-address"};
  EXPECT_FALSE(BuildMimeMessage(m, 0, "s").ok());
  m.to = {"ok@b.test"};
  EXPECT_TRUE(BuildMimeMessage(m, 0, "s").ok());
  m.message_id = "no-at";
  EXPECT_FALSE(BuildMimeMessage(m, 0, "s").ok());
}

TEST(MimeMessage, DateIsRfc5322) { EXPECT_EQ(Rfc5322Date(0), "Thu, 01 Jan 1970 00:00:00 +0000"); }

}  // namespace
}  // namespace relance::delivery
