// The character n-gram language identifier on real sentences (image captions written for this
// test in six languages): trained on nine per language it names the tenth of each, and new
// sentences; the held-out report counts what it held out; priors are equal.
#include "workers/eval/ngram_language_id.h"

#include <gtest/gtest.h>

namespace florenz::eval {
namespace {

const char* const kSentences[6][10] = {
    {"a red car is parked in front of the old house",
     "two children are playing with a ball in the park",
     "the dog is sleeping on the sofa next to the window",
     "a woman is riding a bicycle along the river", "there is a cup of coffee on the wooden table",
     "a group of people are waiting for the bus",
     "the mountains are covered with snow in the winter",
     "a small boat is floating on the calm lake", "an old man is reading a newspaper on a bench",
     "a cat is sitting on the roof of the garden shed"},
    {"ein rotes Auto steht vor dem alten Haus", "zwei Kinder spielen mit einem Ball im Park",
     "der Hund schläft auf dem Sofa neben dem Fenster",
     "eine Frau fährt mit dem Fahrrad am Fluss entlang",
     "auf dem Holztisch steht eine Tasse Kaffee", "eine Gruppe von Menschen wartet auf den Bus",
     "die Berge sind im Winter mit Schnee bedeckt", "ein kleines Boot treibt auf dem ruhigen See",
     "ein alter Mann liest eine Zeitung auf einer Bank",
     "eine Katze sitzt auf dem Dach des Gartenhauses"},
    {"une voiture rouge est garée devant la vieille maison",
     "deux enfants jouent avec un ballon dans le parc",
     "le chien dort sur le canapé à côté de la fenêtre",
     "une femme fait du vélo le long de la rivière",
     "il y a une tasse de café sur la table en bois", "un groupe de personnes attend le bus",
     "les montagnes sont couvertes de neige en hiver", "un petit bateau flotte sur le lac calme",
     "un vieil homme lit un journal sur un banc",
     "un chat est assis sur le toit de la cabane du jardin"},
    {"un coche rojo está aparcado delante de la casa vieja",
     "dos niños juegan con una pelota en el parque",
     "el perro duerme en el sofá junto a la ventana",
     "una mujer monta en bicicleta a lo largo del río",
     "hay una taza de café sobre la mesa de madera", "un grupo de personas espera el autobús",
     "las montañas están cubiertas de nieve en invierno",
     "un pequeño barco flota en el lago tranquilo", "un anciano lee un periódico en un banco",
     "un gato está sentado en el tejado del cobertizo"},
    {"красная машина стоит перед старым домом", "двое детей играют с мячом в парке",
     "собака спит на диване рядом с окном", "женщина едет на велосипеде вдоль реки",
     "на деревянном столе стоит чашка кофе", "группа людей ждёт автобус",
     "зимой горы покрыты снегом", "маленькая лодка плывёт по спокойному озеру",
     "старик читает газету на скамейке", "кошка сидит на крыше садового сарая"},
    {"一辆红色的汽车停在老房子前面", "两个孩子在公园里玩球", "狗在窗户旁边的沙发上睡觉",
     "一个女人沿着河边骑自行车", "木桌上有一杯咖啡", "一群人在等公共汽车", "冬天山上覆盖着雪",
     "一条小船漂浮在平静的湖面上", "一位老人坐在长椅上看报纸", "一只猫坐在花园小屋的屋顶上"},
};
const char* const kNames[6] = {"de", "en", "es", "fr", "ru", "zh"};
const int kOrder[6] = {1, 0, 3, 2, 4, 5};  // kSentences rows: en, de, fr, es, ru, zh

std::vector<LabeledText> Texts() {
  std::vector<LabeledText> texts;
  for (int row = 0; row < 6; ++row) {
    for (const char* sentence : kSentences[row]) texts.push_back({kNames[kOrder[row]], sentence});
  }
  return texts;
}

TEST(NgramLanguageIdentifierTest, NamesTheHeldOutSentenceOfEveryLanguage) {
  const LanguageIdentifierReport report = TrainLanguageIdentifier(Texts());
  EXPECT_EQ(report.held_out, 6);  // the tenth sentence of each language
  EXPECT_DOUBLE_EQ(report.held_out_accuracy, 1.0);
  EXPECT_EQ(report.model.languages(),
            (std::vector<std::string>{"de", "en", "es", "fr", "ru", "zh"}));
  EXPECT_EQ(report.model.Identify("the children are swimming in the lake"), "en");
  EXPECT_EQ(report.model.Identify("die Kinder schwimmen im See"), "de");
  EXPECT_EQ(report.model.Identify("les enfants nagent dans le lac"), "fr");
  EXPECT_EQ(report.model.Identify("los niños nadan en el lago"), "es");
  EXPECT_EQ(report.model.Identify("дети плавают в озере"), "ru");
  EXPECT_EQ(report.model.Identify("孩子们在湖里游泳"), "zh");
}

TEST(NgramLanguageIdentifierTest, PriorsAreEqualWhateverTheCorpusShares) {
  // Many English sentences, one German: a German sentence is still German.
  std::vector<LabeledText> texts;
  for (int copy = 0; copy < 20; ++copy) {
    for (const char* sentence : kSentences[0]) texts.push_back({"en", sentence});
  }
  texts.push_back({"de", "ein alter Mann liest eine Zeitung auf einer Bank"});
  const NgramLanguageIdentifier model = NgramLanguageIdentifier::Train(texts);
  EXPECT_EQ(model.Identify("ein Mann liest"), "de");
  EXPECT_EQ(NgramLanguageIdentifier::Train({}).Identify("anything"), "");
}

}  // namespace
}  // namespace florenz::eval
