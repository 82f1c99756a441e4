// Letters as PDF (R-SEND-5 letter channel, R-DUN-3 letter templates): the
// rendered file read back with poppler's pdftotext and pdfinfo, as a printer
// or the postal provider would see it.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>

#include "delivery/letter_renderer.h"
#include "integration/subprocess.h"

namespace relance::delivery {
namespace {

namespace fs = std::filesystem;

class LetterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("relance-letter-test-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string Write(const std::string& pdf) {
    fs::path p = dir_ / "letter.pdf";
    std::ofstream(p, std::ios::binary) << pdf;
    return p.string();
  }
  std::string Text(const std::string& pdf) {
    auto r = test::RunProcess({"/usr/bin/pdftotext", "-layout", Write(pdf), "-"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out;
  }
  int Pages(const std::string& pdf) {
    auto r = test::RunProcess({"/usr/bin/pdfinfo", Write(pdf)});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::smatch m;
    if (!std::regex_search(r.out, m, std::regex("Pages:\\s+(\\d+)"))) return -1;
    return std::stoi(m[1]);
  }

  static LetterContent Content(std::string body) {
    return {
        {"ACME SAS", "3 avenue des Lilas", "69003", "Lyon", "FR"},
        {"SARL Dupont Frères", "Service comptabilité\n12 rue de la Paix", "75002", "Paris", "FR"},
        "Lyon",
        "le 15 janvier 2026",
        "Objet : relance pour la facture F-42",
        std::move(body)};
  }

  fs::path dir_;
};

// R-SEND-5: names, addresses, place and date, subject and body are in the PDF.
TEST_F(LetterTest, OnePageLetterHoldsTheAddresses) {
  Result<std::string> pdf =
      RenderLetterPdf(Content("Madame, Monsieur,\n\nLa facture F-42 de 1 234,56 € reste due.\n\n"
                              "Veuillez agréer nos salutations <distinguées> & sincères."));
  ASSERT_TRUE(pdf.ok()) << pdf.error().ToString();
  EXPECT_EQ(pdf->rfind("%PDF-", 0), 0u);
  EXPECT_EQ(Pages(*pdf), 1);
  std::string text = Text(*pdf);
  for (const char* needle :
       {"ACME SAS", "3 avenue des Lilas", "69003 Lyon", "SARL Dupont Frères",
        "Service comptabilité", "12 rue de la Paix", "75002 Paris", "Lyon, le 15 janvier 2026",
        "Objet : relance pour la facture F-42", "1 234,56 €", "<distinguées> & sincères"}) {
    EXPECT_NE(text.find(needle), std::string::npos) << needle << "\n" << text;
  }
  // No page number on a single page; no country line for domestic mail.
  EXPECT_EQ(text.find("1/1"), std::string::npos);
  EXPECT_EQ(text.find("FR\n"), std::string::npos);
}

// R-SEND-5: a long body flows onto further pages, which are numbered, and
// no paragraph is lost on the way.
TEST_F(LetterTest, LongBodyFlowsOntoNumberedPages) {
  std::string body;
  for (int i = 1; i <= 60; ++i) {
    body += "Paragraphe " + std::to_string(i) +
            " : sauf erreur de notre part, la facture reste impayée à ce jour malgré nos "
            "précédentes relances, et nous vous remercions de procéder au règlement.\n\n";
  }
  body += "FIN DU COURRIER";
  Result<std::string> pdf = RenderLetterPdf(Content(body));
  ASSERT_TRUE(pdf.ok()) << pdf.error().ToString();
  int pages = Pages(*pdf);
  EXPECT_GT(pages, 1);
  std::string text = Text(*pdf);
  for (int i = 1; i <= 60; ++i) {
    EXPECT_NE(text.find("Paragraphe " + std::to_string(i) + " "), std::string::npos) << i;
  }
  EXPECT_NE(text.find("FIN DU COURRIER"), std::string::npos);
  EXPECT_NE(text.find("1/" + std::to_string(pages)), std::string::npos);
  EXPECT_NE(text.find(std::to_string(pages) + "/" + std::to_string(pages)), std::string::npos);
}

// A foreign recipient gets its country line.
TEST_F(LetterTest, ForeignRecipientHasCountryLine) {
  LetterContent c = Content("Body");
  c.recipient = {"Muller GmbH", "Hauptstrasse 5", "10115", "Berlin", "DE"};
  Result<std::string> pdf = RenderLetterPdf(c);
  ASSERT_TRUE(pdf.ok());
  EXPECT_NE(Text(*pdf).find("DE"), std::string::npos);
}

TEST_F(LetterTest, InvalidUtf8IsRefused) {
  Result<std::string> pdf = RenderLetterPdf(Content("caf\xe9"));
  ASSERT_FALSE(pdf.ok());
  EXPECT_EQ(pdf.error().code(), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace relance::delivery
