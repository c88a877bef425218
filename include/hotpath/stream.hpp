// hotpath/stream.hpp: the stream module: sources, codecs, record readers, progress, parallel
// chunked processing. Link `hotpath::stream` (it adds zlib, libbz2, liblzma, and ISA-L and
// simdjson when they were found).
#pragma once

#include "hotpath/stream/auto_detect.hpp"
#include "hotpath/stream/block_reader.hpp"
#include "hotpath/stream/bzip2.hpp"
#include "hotpath/stream/codec.hpp"
#include "hotpath/stream/csv_reader.hpp"
#include "hotpath/stream/fd_source.hpp"
#include "hotpath/stream/file_source.hpp"
#include "hotpath/stream/format_error.hpp"
#include "hotpath/stream/gzip.hpp"
#include "hotpath/stream/line_reader.hpp"
#include "hotpath/stream/mmap_source.hpp"
#include "hotpath/stream/parallel.hpp"
#include "hotpath/stream/progress.hpp"
#include "hotpath/stream/source.hpp"
#include "hotpath/stream/xz.hpp"
#if defined(HOTPATH_STREAM_HAS_SIMDJSON)
#include "hotpath/stream/jsonl_reader.hpp"
#endif
#if defined(HOTPATH_STREAM_HAS_ZSTD)
#include "hotpath/stream/zstd.hpp"
#endif
