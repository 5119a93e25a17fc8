// Scene generation and canonical scene graphs (see scene.h).
#include "workers/data/scene.h"

#include <algorithm>
#include <cmath>
#include <tuple>

namespace florenz::data {

const char* ShapeName(Shape shape) {
  static const char* const kNames[kShapes] = {"circle",  "square", "triangle", "star", "cross",
                                              "diamond", "bow",    "bow",      "bat",  "bat"};
  return kNames[static_cast<int>(shape)];
}

const char* ColourName(Colour colour) {
  static const char* const kNames[kColours] = {"red",    "green",  "blue",  "yellow",
                                               "purple", "orange", "white", "black"};
  return kNames[static_cast<int>(colour)];
}

const char* SizeName(ObjectSize size) { return size == ObjectSize::kSmall ? "small" : "large"; }

const char* RelationName(Relation relation) {
  static const char* const kNames[kRelations] = {"left of", "right of", "above", "below"};
  return kNames[static_cast<int>(relation)];
}

Relation Converse(Relation relation) {
  switch (relation) {
    case Relation::kLeftOf:
      return Relation::kRightOf;
    case Relation::kRightOf:
      return Relation::kLeftOf;
    case Relation::kAbove:
      return Relation::kBelow;
    case Relation::kBelow:
      return Relation::kAbove;
  }
  return relation;
}

bool Attributes::operator<(const Attributes& o) const {
  return std::tie(shape, colour, size) < std::tie(o.shape, o.colour, o.size);
}

bool Clause::operator==(const Clause& o) const {
  if (kind != o.kind || first != o.first) return false;
  if (kind == Kind::kGroup) return count == o.count;
  return relation == o.relation && second == o.second;
}

int Scene::object_count() const {
  int n = 0;
  for (const auto& c : clauses) n += c.objects();
  return n;
}

int PlacementGridSide(int max_objects) {
  return std::max(2, static_cast<int>(std::ceil(std::sqrt(2.0 * max_objects))));
}

namespace {

Attributes DrawAttributes(const SceneOptions& options, SampleRng& rng,
                          const std::vector<Attributes>& taken) {
  for (;;) {
    Attributes a;
    a.shape = options.shapes[rng.Below(static_cast<int>(options.shapes.size()))];
    a.colour = static_cast<Colour>(rng.Below(kColours));
    a.size = static_cast<ObjectSize>(rng.Below(kObjectSizes));
    const bool held_out = std::find(options.held_out.begin(), options.held_out.end(),
                                    std::make_pair(a.shape, a.colour)) != options.held_out.end();
    if (!held_out && std::find(taken.begin(), taken.end(), a) == taken.end()) return a;
  }
}

// Places the objects of `clauses` in distinct cells: relations on one row (left/right) or
// one column (above/below), groups anywhere free. Retries with a fresh layout when a
// relation finds no room (rare: the grid has twice as many cells as objects).
bool Place(const std::vector<Clause>& clauses, int side, SampleRng& rng,
           std::vector<PlacedObject>* objects) {
  std::vector<bool> used(side * side, false);
  const float cell = 1.0f / side;
  auto put = [&](const Attributes& a, int row, int col) {
    used[row * side + col] = true;
    PlacedObject o;
    o.attributes = a;
    const float jitter = 0.12f * cell;
    o.x = (col + 0.5f) * cell + static_cast<float>(rng.Uniform() * 2 - 1) * jitter;
    o.y = (row + 0.5f) * cell + static_cast<float>(rng.Uniform() * 2 - 1) * jitter;
    o.radius = (a.size == ObjectSize::kSmall ? 0.26f : 0.40f) * cell;
    objects->push_back(o);
  };
  for (const auto& c : clauses) {
    if (c.kind == Clause::Kind::kRelation) {
      const bool horizontal = c.relation == Relation::kLeftOf || c.relation == Relation::kRightOf;
      std::vector<std::pair<int, int>> options;  // (cell of the lower-index object, of the other)
      for (int line = 0; line < side; ++line) {
        for (int i = 0; i < side; ++i) {
          for (int j = i + 1; j < side; ++j) {
            const int a = horizontal ? line * side + i : i * side + line;
            const int b = horizontal ? line * side + j : j * side + line;
            if (!used[a] && !used[b]) options.emplace_back(a, b);
          }
        }
      }
      if (options.empty()) return false;
      const auto [low, high] = options[rng.Below(static_cast<int>(options.size()))];
      // left-of / above: the first object takes the lower index (left or upper cell).
      const bool first_low = c.relation == Relation::kLeftOf || c.relation == Relation::kAbove;
      const int first = first_low ? low : high, second = first_low ? high : low;
      put(c.first, first / side, first % side);
      put(c.second, second / side, second % side);
    } else {
      for (int k = 0; k < c.count; ++k) {
        std::vector<int> free;
        for (int cell_index = 0; cell_index < side * side; ++cell_index) {
          if (!used[cell_index]) free.push_back(cell_index);
        }
        if (free.empty()) return false;
        const int at = free[rng.Below(static_cast<int>(free.size()))];
        put(c.first, at / side, at % side);
      }
    }
  }
  return true;
}

}  // namespace

Scene GenerateScene(const SceneOptions& options, SampleRng& rng) {
  const int side = PlacementGridSide(options.max_objects);
  for (;;) {
    Scene scene;
    const int n = options.min_objects + rng.Below(options.max_objects - options.min_objects + 1);
    std::vector<Attributes> taken;
    int remaining = n;
    while (remaining > 0) {
      Clause c;
      if (remaining >= 2 && rng.Bernoulli(0.6)) {
        c.kind = Clause::Kind::kRelation;
        c.first = DrawAttributes(options, rng, taken);
        taken.push_back(c.first);
        c.second = DrawAttributes(options, rng, taken);
        taken.push_back(c.second);
        c.relation = static_cast<Relation>(rng.Below(kRelations));
      } else {
        c.kind = Clause::Kind::kGroup;
        c.first = DrawAttributes(options, rng, taken);
        taken.push_back(c.first);
        const int most = std::min(remaining, 3);
        c.count = (most > 1 && rng.Bernoulli(0.35)) ? 2 + rng.Below(most - 1) : 1;
      }
      remaining -= c.objects();
      scene.clauses.push_back(c);
    }
    if (Place(scene.clauses, side, rng, &scene.objects)) {
      // The model must not read the caption's order off the object order.
      for (int i = static_cast<int>(scene.objects.size()) - 1; i > 0; --i) {
        std::swap(scene.objects[i], scene.objects[rng.Below(i + 1)]);
      }
      return scene;
    }
  }
}

std::vector<Clause> CanonicalGraph(const std::vector<Clause>& clauses) {
  std::vector<Clause> out = clauses;
  for (auto& c : out) {
    if (c.kind == Clause::Kind::kRelation &&
        (c.relation == Relation::kRightOf || c.relation == Relation::kBelow)) {
      std::swap(c.first, c.second);
      c.relation = Converse(c.relation);
    }
  }
  std::sort(out.begin(), out.end(), [](const Clause& a, const Clause& b) {
    return std::tie(a.kind, a.first, a.count, a.relation, a.second) <
           std::tie(b.kind, b.first, b.count, b.relation, b.second);
  });
  return out;
}

}  // namespace florenz::data
