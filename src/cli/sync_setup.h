// What `relance serve` and the sync commands share about connections: the
// connector types this server knows (Sellsy, and nothing else), and the key
// that seals the connections' secrets. Internal to src/cli.
#pragma once

#include "cli/config.h"
#include "core/result.h"
#include "sync/connection_service.h"
#include "sync/secret_box.h"

namespace relance::cli {

// The one registry of connector types; lives for the whole process.
const sync::ConnectorRegistry& KnownConnectors();

// The key of s.secret_key, else the key file <data_dir>/secret.key, created
// with mode 0600 on first use (logged, never printed). kInvalidArgument for
// a key file that is not 64 hexadecimal characters; kUnavailable when it
// cannot be read or written.
Result<sync::SecretBox> LoadSecretBox(const Settings& s);

}  // namespace relance::cli
