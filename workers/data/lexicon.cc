// Lexicons: generated from a seeded syllable inventory, with the presets' real words laid
// over them. The real words approximate the paper's languages (en, de, fr, es, ru, zh);
// their inflection is rule-based (stem + ending), so a few forms are simplified.
#include "workers/data/lexicon.h"

#include <set>
#include <sstream>

#include "workers/data/sample_rng.h"

namespace florenz::data {
namespace {

std::vector<std::string> Words(const std::string& text) {
  std::vector<std::string> words;
  std::istringstream in(text);
  for (std::string w; in >> w;) words.push_back(w);
  return words;
}

// Words of a made-up language: CV(C) syllables from one inventory, distinct within the
// language. The same seed always gives the same lexicon.
class WordMaker {
 public:
  explicit WordMaker(int64_t seed) : rng_(static_cast<uint64_t>(seed), Split::kTrain, 0, 77) {}

  std::string Word(int min_syllables, int max_syllables) {
    static const char* const kOnsets[] = {"p", "t", "k", "b", "d", "g",  "m",  "n",
                                          "l", "r", "s", "v", "z", "sh", "ch", "f"};
    static const char* const kVowels[] = {"a", "e", "i", "o", "u", "ai", "ei"};
    for (;;) {
      std::string w;
      const int syllables = min_syllables + rng_.Below(max_syllables - min_syllables + 1);
      for (int s = 0; s < syllables; ++s) {
        w += kOnsets[rng_.Below(16)];
        w += kVowels[rng_.Below(7)];
        if (rng_.Bernoulli(0.2)) w += kOnsets[rng_.Below(8)];
      }
      if (used_.insert(w).second) return w;
    }
  }
  std::string Ending() {
    static const char* const kEndings[] = {"a", "e", "i", "o", "u", "an", "en", "is", "ot"};
    return kEndings[rng_.Below(9)];
  }
  int Below(int n) { return rng_.Below(n); }

 private:
  SampleRng rng_;
  std::set<std::string> used_;
};

Lexicon Generate(const LanguageOptions& language) {
  WordMaker make(language.lexicon_seed * 7919 + static_cast<int64_t>(language.name.size()));
  Lexicon lex;
  const int genders = std::max(1, language.genders);
  for (auto& noun : lex.shapes) {
    noun.singular = make.Word(2, 3);
    noun.plural = noun.singular + make.Ending();
    noun.gender = make.Below(genders);
  }
  for (auto& c : lex.colours) c = make.Word(1, 2);
  for (auto& s : lex.sizes) s = make.Word(1, 2);
  for (auto& r : lex.relations) r = {make.Word(1, 2)};
  for (auto& n : lex.numerals) n = make.Word(1, 2);
  lex.classifier = make.Word(1, 1);
  lex.conjunction = make.Word(1, 1);
  lex.prefix = {make.Word(1, 2), make.Word(2, 2)};
  for (int c = 0; c < kCases; ++c) {
    for (int g = 0; g < 3; ++g) {
      lex.indefinite_articles[c][g] = make.Word(1, 1);
      lex.definite_articles[c][g] = make.Word(1, 1);
    }
    for (auto& e : lex.adjective_endings[c]) e = make.Ending();
  }
  lex.noun_case_endings = {make.Ending(), make.Ending()};
  return lex;
}

// One preset's real words. Nouns: "singular plural gender" (gender m/f/n, or - for none).
struct PresetWords {
  const char* name;
  const char* nouns[kShapes];
  const char* colours;
  const char* sizes;
  const char* relations[kRelations];
  const char* numerals;
  const char* classifier;
  const char* conjunction;
  const char* prefix;
  const char* indefinite[kCases];  // per gender m f n
  const char* definite[kCases];
  const char* adjective_endings[kCases];  // m f n plural; "_" = no ending
  const char* noun_case_endings;          // singular plural; "_" = no ending
};

const PresetWords kPresets[] = {
    {"en",
     {"circle circles -", "square squares -", "triangle triangles -", "star stars -",
      "cross crosses -", "diamond diamonds -", "bow bows -", "bow bows -", "bat bats -",
      "bat bats -"},
     "red green blue yellow purple orange white black",
     "small large",
     {"left of", "right of", "above", "below"},
     "two three",
     "piece",
     "and",
     "the image shows",
     {"a a a", "a a a"},
     {"the the the", "the the the"},
     {"_ _ _ _", "_ _ _ _"},
     "_ _"},
    {"de",
     {"kreis kreise m", "quadrat quadrate n", "dreieck dreiecke n", "stern sterne m",
      "kreuz kreuze n", "raute rauten f", "schleife schleifen f", "bogen bögen m",
      "fledermaus fledermäuse f", "schläger schläger m"},
     "rot grün blau gelb lila orange weiß schwarz",
     "klein groß",
     {"links von", "rechts von", "über", "unter"},
     "zwei drei",
     "stück",
     "und",
     "das bild zeigt",
     {"ein eine ein", "einem einer einem"},
     {"der die das", "dem der dem"},
     {"er e es e", "en en en en"},
     "_ n"},
    {"fr",
     {"cercle cercles m", "carré carrés m", "triangle triangles m", "étoile étoiles f",
      "croix croix f", "losange losanges m", "nœud nœuds m", "arc arcs m",
      "chauve-souris chauves-souris f", "batte battes f"},
     "rouge vert bleu jaune violet orange blanc noir",
     "petit grand",
     {"à gauche de", "à droite de", "au-dessus de", "au-dessous de"},
     "deux trois",
     "pièce",
     "et",
     "l'image montre",
     {"un une un", "un une un"},
     {"le la le", "le la le"},
     {"_ e _ s", "_ e _ s"},
     "_ _"},
    {"es",
     {"círculo círculos m", "cuadrado cuadrados m", "triángulo triángulos m",
      "estrella estrellas f", "cruz cruces f", "rombo rombos m", "lazo lazos m", "arco arcos m",
      "murciélago murciélagos m", "bate bates m"},
     "roj verd azul amarill morad naranj blanc negr",
     "pequeñ grand",
     {"a la izquierda de", "a la derecha de", "encima de", "debajo de"},
     "dos tres",
     "pieza",
     "y",
     "la imagen muestra",
     {"un una un", "un una un"},
     {"el la el", "el la el"},
     {"o a o os", "o a o os"},
     "_ _"},
    {"ru",
     {"круг круги m", "квадрат квадраты m", "треугольник треугольники m", "звезда звёзды f",
      "крест кресты m", "ромб ромбы m", "бант банты m", "лук луки m", "нетопырь нетопыри m",
      "бита биты f"},
     "красн зелён син жёлт фиолетов оранжев бел чёрн",
     "мал больш",
     {"слева от", "справа от", "над", "под"},
     "два три",
     "штука",
     "и",
     "на изображении",
     {"_ _ _", "_ _ _"},
     {"_ _ _", "_ _ _"},
     {"ый ая ое ые", "ым ой ым ыми"},
     "ом ами"},
    {"zh",
     {"圆形 圆形 -", "方形 方形 -", "三角形 三角形 -", "星形 星形 -", "十字 十字 -", "菱形 菱形 -",
      "蝴蝶结 蝴蝶结 -", "弓 弓 -", "蝙蝠 蝙蝠 -", "球棒 球棒 -"},
     "红色 绿色 蓝色 黄色 紫色 橙色 白色 黑色",
     "小 大",
     {"左边", "右边", "上面", "下面"},
     "两 三",
     "个",
     "和",
     "图 为",
     {"_ _ _", "_ _ _"},
     {"_ _ _", "_ _ _"},
     {"_ _ _ _", "_ _ _ _"},
     "_ _"},
};

std::string Slot(const std::string& word) { return word == "_" ? "" : word; }

void Overlay(const PresetWords& p, Lexicon* lex) {
  for (int s = 0; s < kShapes; ++s) {
    const auto w = Words(p.nouns[s]);
    lex->shapes[s].singular = w[0];
    lex->shapes[s].plural = w[1];
    lex->shapes[s].gender = w[2] == "f" ? 1 : w[2] == "n" ? 2 : 0;
  }
  const auto colours = Words(p.colours), sizes = Words(p.sizes), numerals = Words(p.numerals);
  for (int c = 0; c < kColours; ++c) lex->colours[c] = colours[c];
  for (int s = 0; s < kObjectSizes; ++s) lex->sizes[s] = sizes[s];
  for (int r = 0; r < kRelations; ++r) lex->relations[r] = Words(p.relations[r]);
  lex->numerals = {numerals[0], numerals[1]};
  lex->classifier = p.classifier;
  lex->conjunction = p.conjunction;
  lex->prefix = Words(p.prefix);
  for (int c = 0; c < kCases; ++c) {
    const auto indefinite = Words(p.indefinite[c]), definite = Words(p.definite[c]);
    const auto endings = Words(p.adjective_endings[c]);
    for (int g = 0; g < 3; ++g) {
      lex->indefinite_articles[c][g] = Slot(indefinite[g]);
      lex->definite_articles[c][g] = Slot(definite[g]);
    }
    for (int e = 0; e < kAgreementSlots; ++e) lex->adjective_endings[c][e] = Slot(endings[e]);
  }
  const auto case_endings = Words(p.noun_case_endings);
  lex->noun_case_endings = {Slot(case_endings[0]), Slot(case_endings[1])};
}

}  // namespace

std::string Inflect(const std::string& stem, const std::string& ending) {
  if (ending.empty()) return stem;
  if (!stem.empty() && stem.back() == 'e' && ending.front() == 'e') return stem + ending.substr(1);
  return stem + ending;
}

Lexicon BuildLexicon(const LanguageOptions& language) {
  Lexicon lex = Generate(language);
  for (const auto& preset : kPresets) {
    if (language.preset == preset.name) Overlay(preset, &lex);
  }
  if (!language.prefix.empty()) lex.prefix = Words(language.prefix);
  // A grid may give a preset fewer genders than its nouns have.
  for (auto& noun : lex.shapes) noun.gender %= std::max(1, language.genders);
  return lex;
}

}  // namespace florenz::data
