// Scenes of the synthetic data: a scene graph of clauses (a counted group of identical
// objects, or two objects in a spatial relation) and the objects placed on the image. The
// scene graph is what captions describe in every language; the placement is what the
// model sees.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "workers/data/sample_rng.h"

namespace florenz::data {

// Six plain shapes, then the two senses of each English homonym: "bow" (a ribbon bow, an
// archer's bow) and "bat" (the animal, the club). The senses look different in the image and
// have different words in every language but English.
enum class Shape : uint8_t {
  kCircle,
  kSquare,
  kTriangle,
  kStar,
  kCross,
  kDiamond,
  kBowRibbon,
  kBowArc,
  kBatAnimal,
  kBatClub,
};
constexpr int kShapes = 10;
constexpr int kPlainShapes = 6;

enum class Colour : uint8_t { kRed, kGreen, kBlue, kYellow, kPurple, kOrange, kWhite, kBlack };
constexpr int kColours = 8;

enum class ObjectSize : uint8_t { kSmall, kLarge };
constexpr int kObjectSizes = 2;

// Where the first object of a relation is, seen from the second.
enum class Relation : uint8_t { kLeftOf, kRightOf, kAbove, kBelow };
constexpr int kRelations = 4;

// English names, for messages, previews and the English lexicon.
const char* ShapeName(Shape shape);
const char* ColourName(Colour colour);
const char* SizeName(ObjectSize size);
const char* RelationName(Relation relation);
// The relation seen the other way round: left of <-> right of, above <-> below.
Relation Converse(Relation relation);

struct Attributes {
  Shape shape = Shape::kCircle;
  Colour colour = Colour::kRed;
  ObjectSize size = ObjectSize::kSmall;

  bool operator==(const Attributes& o) const {
    return shape == o.shape && colour == o.colour && size == o.size;
  }
  bool operator!=(const Attributes& o) const { return !(*this == o); }
  bool operator<(const Attributes& o) const;
};

// One clause of a caption: `count` identical objects, or `first` <relation> `second`.
struct Clause {
  enum class Kind : uint8_t { kGroup, kRelation };
  Kind kind = Kind::kGroup;
  Attributes first;
  int count = 1;                          // kGroup: 1-3
  Relation relation = Relation::kLeftOf;  // kRelation
  Attributes second;                      // kRelation

  int objects() const { return kind == Kind::kGroup ? count : 2; }
  bool operator==(const Clause& o) const;
};

// An object as drawn: attributes, centre (x right, y down, in [0, 1]) and radius (fraction of
// the image side).
struct PlacedObject {
  Attributes attributes;
  float x = 0.5f;
  float y = 0.5f;
  float radius = 0.1f;
};

struct Scene {
  std::vector<Clause> clauses;
  std::vector<PlacedObject> objects;  // in no meaningful order

  int object_count() const;
};

// What scenes may contain.
struct SceneOptions {
  int min_objects = 1;
  int max_objects = 2;
  // Shapes that may appear: the plain six plus the senses of the active homonyms.
  std::vector<Shape> shapes;
  // Attribute combinations that never occur (compositional hold-out), e.g. blue triangles.
  std::vector<std::pair<Shape, Colour>> held_out;
};

// Side of the placement grid: objects sit in distinct cells of a side × side grid.
int PlacementGridSide(int max_objects);

// A random scene. Every clause's objects differ from every other clause's, so the scene graph
// read back from a caption is unique.
Scene GenerateScene(const SceneOptions& options, SampleRng& rng);

// The scene graph in canonical form (relations as left-of / above, clauses sorted), so two
// captions of one scene — paraphrases, other languages — compare equal.
std::vector<Clause> CanonicalGraph(const std::vector<Clause>& clauses);

}  // namespace florenz::data
