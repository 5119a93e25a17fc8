// The data source a grid names (make_data_source.h).
#include "workers/data/shards/make_data_source.h"

#include "workers/data/data_generator.h"
#include "workers/data/shards/shard_source.h"

namespace florenz::data {

std::unique_ptr<DataSource> MakeDataSource(const ExperimentSpec& spec) {
  if (spec.data.source == DataSourceKind::kShards) return std::make_unique<ShardSource>(spec);
  return std::make_unique<DataGenerator>(spec);
}

}  // namespace florenz::data
