/**
 * Every variable micropod reads from .env: what it is, its form, default, and whether it is a
 * secret and generated. The ajv schema (schema.ts), sample.env and docs/configuration.md are all
 * made from this one table.
 */
export interface ValueKind {
  /** JSON-schema keywords checking the string value (format, pattern, enum). */
  readonly schema: Readonly<Record<string, unknown>>;
  /** The expected form, as an error message shows it: "expected <this>". */
  readonly expected: string;
  /** Values that mean "not set", like a blank one (the seed suite writes a blank IPv6 address as `[]`). */
  readonly blank?: readonly string[];
}

export interface VariableSpec {
  readonly name: string;
  readonly group: string;
  readonly description: string;
  readonly kind: ValueKind;
  /** Used when the variable is missing or blank; `${NAME}` refers to another variable's final value. */
  readonly default?: string;
  readonly required?: boolean;
  readonly secret?: boolean;
  /** Generated when blank (and persisted in secrets.env). */
  readonly generated?: boolean;
  /** The value sample.env shows (blank when absent). */
  readonly example?: string;
  /**
   * Other names the same variable is read under: the seed suite's spelling where micropod's
   * documented name differs (DB_PASSWORD for DB_PASS). A file setting two spellings to different
   * values is refused.
   */
  readonly aliases?: readonly string[];
  /** When this variable is set, the default is this value instead (S3_ENABLED follows the S3 key). */
  readonly defaultWhenSet?: { readonly variable: string; readonly value: string };
  /**
   * The default (for a generated secret: its generation) applies only while this Compose profile
   * is active (COMPOSE_PROFILES): the variable belongs to an optional service, and without the
   * service it stays unset, so the compose file's bare `NAME:` entry leaves it out of the
   * containers' environment and no secret is made for a service that does not run.
   */
  readonly defaultWithProfile?: string;
  /** Where the value ends up in the suite, for docs/configuration.md's seed table. */
  readonly usedBy?: string;
}

const kind = (expected: string, schema: Record<string, unknown>, blank?: readonly string[]): ValueKind => ({ expected, schema, ...(blank ? { blank } : {}) });

export const kinds = {
  domain: kind("a domain name (letters, digits, -, at least one dot, lowercase), like example.org", { format: "domain" }),
  hostname: kind("a hostname, like s3.example.org", { format: "hostname" }),
  host: kind("an IPv4 address, an [IPv6] address or a hostname, like 10.89.0.10", { format: "host" }),
  alertmanager: kind("a host, host:port or http(s) URL, like alertmanager.example.org:9093 (port 9093 when none)", { format: "alertmanager" }),
  ipv4: kind("an IPv4 address, like 192.0.2.10", { format: "ipv4" }),
  ipv4Cidr: kind("an IPv4 address or network, like 192.0.2.1 or 192.0.2.0/24", { format: "ipv4-or-cidr" }),
  ipv6Bracketed: kind("an IPv6 address in brackets, like [2001:db8::10]", { format: "bracketed-ipv6" }, ["[]"]),
  ipv6Cidr: kind("an IPv6 address or network without brackets, like 2001:db8::1 or 2001:db8::/64", { format: "ipv6-or-cidr" }),
  port: kind("a port number from 1 to 65535", { format: "port" }),
  boolean: kind("true or false", { enum: ["true", "false"] }),
  identifier: kind("a PostgreSQL name: lowercase letters, digits and _, up to 63, not starting with a digit", { pattern: "^[a-z_][a-z0-9_]{0,62}$" }),
  email: kind("an e-mail address, like notifications@example.org, optionally as Name <address>", { format: "mail-from" }),
  text: kind("one line of text", { pattern: "^[^\\n]*$" }),
  path: kind("an absolute path, like /var/db/micropod", { format: "absolute-path" }),
  url: kind("an http(s) URL, like https://s3.example.org", { format: "http-url" }),
  bucket: kind("an S3 bucket name: 3 to 63 lowercase letters, digits, . and -", { pattern: "^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$" }),
  region: kind("an S3 region name, like us-east-1", { pattern: "^[a-z0-9][a-z0-9-]*$" }),
  gitTag: kind("a Mastodon release tag, like v4.5.0", { pattern: "^v\\d+\\.\\d+\\.\\d+(-[A-Za-z0-9.]+)?$" }),
  freebsdRelease: kind("a FreeBSD release number, like 15.0", { pattern: "^\\d+\\.\\d+$" }),
  profiles: kind("Compose profile names separated by commas, like redis-cache,postgresql-replica", { pattern: "^\\s*[a-zA-Z0-9][a-zA-Z0-9_.-]*\\s*(,\\s*[a-zA-Z0-9][a-zA-Z0-9_.-]*\\s*)*$" }),
  memory: kind("a size as redis.conf writes it, like 256mb or 2gb", { pattern: "^[1-9][0-9]*(kb|mb|gb)?$" }),
  threads: kind("a whole number from 1 to 200", { pattern: "^(?:[1-9]|[1-9]\\d|1\\d\\d|200)$" }),
  deeplPlan: kind("free or pro", { enum: ["free", "pro"] }),
  railsEnv: kind("production (the only Rails environment the suite's images are built for)", { enum: ["production"] }),
  railsSecret: kind("at least 32 characters without spaces (rails secret prints 128 hex digits); leave blank to generate", { pattern: "^\\S{32,}$" }),
  arKey: kind("at least 16 characters without spaces (bin/rails db:encryption:init prints 32 letters and digits); leave blank to generate", { pattern: "^\\S{16,}$" }),
  password: kind("a password or key on one line", { pattern: "^[^\\n]+$" }),
  searchUser: kind("a user name: letters, digits, '.', '_' and '-'", { pattern: "^[A-Za-z0-9._-]{1,64}$" }),
  generatedPassword: kind("a password on one line; leave blank to generate", { pattern: "^[^\\n]+$" }),
  vapidPrivate: kind("URL-safe base64 of a 32-byte P-256 private key (as rake mastodon:webpush:generate_vapid_key prints); leave blank to generate", { format: "vapid-private-key" }),
  vapidPublic: kind("URL-safe base64 of a 65-byte uncompressed P-256 public key, starting with B; leave blank to generate", { format: "vapid-public-key" }),
} as const;

/** The Mastodon containers: the ones that get Mastodon's environment (x-mastodon-environment). */
const MASTODON = "maintaindb, sidekiq-*, web and streaming";
/** The Rails containers: the ones that get Mastodon's secrets (x-mastodon-secrets). */
const RAILS = "maintaindb, sidekiq-* and web";

export const variables: readonly VariableSpec[] = [
  // instance
  { name: "DOMAIN", group: "Instance", kind: kinds.domain, required: true, example: "example.org",
    description: "The instance's domain (Mastodon's LOCAL_DOMAIN): accounts are @user@DOMAIN. Changing it later breaks federation.",
    usedBy: `LOCAL_DOMAIN of ${MASTODON}; DOMAIN of nginx, nginx-media, varnish and haproxy` },
  { name: "SINGLE_USER_MODE", group: "Instance", kind: kinds.boolean, default: "false",
    description: "Mastodon single-user mode: no registrations, the landing page shows the one profile." },
  // public addresses
  { name: "IP4_ADDRESS", group: "Public addresses", kind: kinds.ipv4, example: "192.0.2.10",
    description: "Public IPv4 address haproxy binds to. IP4_ADDRESS, IP6_ADDRESS or both must be set.",
    usedBy: "haproxy: IP4_ADDRESS, and its ports 80 and 443 published on it" },
  { name: "IP6_ADDRESS", group: "Public addresses", kind: kinds.ipv6Bracketed, example: "[2001:db8::10]",
    description: "Public IPv6 address haproxy binds to, written in brackets; `[]` (the seed suite's blank) means not set.",
    usedBy: "haproxy: IP6_ADDRESS, and its ports 80 and 443 published on it" },
  { name: "PROXY_IP_V4", group: "Public addresses", kind: kinds.ipv4Cidr,
    description: "Trusted upstream proxy (IPv4) whose X-Forwarded-For / PROXY header is believed.",
    usedBy: "PROXY_IP_V4 of nginx and haproxy" },
  { name: "PROXY_IP_V6", group: "Public addresses", kind: kinds.ipv6Cidr,
    description: "Trusted upstream proxy (IPv6, no brackets).",
    usedBy: "PROXY_IP_V6 of nginx and haproxy" },
  // database
  { name: "DB_HOST", group: "PostgreSQL", kind: kinds.host, default: "10.89.0.10",
    description: "PostgreSQL host (the suite's postgresql container). A host name without a dot (the seed's `postgres`) is pinned to the database service's static address in every container (podman --add-host).",
    usedBy: `DB_HOST of ${MASTODON}; a name is pinned with --add-host NAME:<postgresql's address>` },
  { name: "DB_PORT", group: "PostgreSQL", kind: kinds.port, default: "5432", description: "PostgreSQL port.", usedBy: `DB_PORT of ${MASTODON}` },
  { name: "DB_NAME", group: "PostgreSQL", kind: kinds.identifier, default: "mastodon", description: "Database name.",
    usedBy: `DB_NAME of ${MASTODON}; the database backup and restore dump` },
  { name: "DB_USER", group: "PostgreSQL", kind: kinds.identifier, default: "mastodon", description: "Database role Mastodon connects as.", usedBy: `DB_USER of ${MASTODON}` },
  { name: "DB_PASS", group: "PostgreSQL", kind: kinds.generatedPassword, secret: true, generated: true, aliases: ["DB_PASSWORD"],
    description: "Password of DB_USER. Generated (32 letters and digits) when blank.",
    usedBy: `podman secret mastodon_db_pass: DB_PASS of postgresql (initdb), DB_PASS and REPLICA_DB_PASS of ${MASTODON}` },
  { name: "REPLICATION_PASSWORD", group: "PostgreSQL", kind: kinds.generatedPassword, secret: true, generated: true, defaultWithProfile: "postgresql-replica",
    description: "Password of the role `replicator` that the read replica (profile postgresql-replica) streams the primary's WAL as. Generated (32 letters and digits) when blank and the profile is on; the primary sets it at every start.",
    usedBy: "podman secret mastodon_replication_password: REPLICATION_PASSWORD of postgresql and postgresql-replica" },
  // optional services
  { name: "COMPOSE_PROFILES", group: "Optional services", kind: kinds.profiles,
    description: "The optional services to run, by Compose profile, as Compose reads this variable: redis-cache (a second Redis for Mastodon's cache) and postgresql-replica (a streaming read replica of PostgreSQL). Blank: neither.",
    usedBy: "the compose file's services with profiles: (only those of an active profile run)" },
  { name: "REPLICA_DB_HOST", group: "Optional services", kind: kinds.host, default: "10.89.0.15", defaultWithProfile: "postgresql-replica",
    description: "Host of the read replica Mastodon sends some reads to (Mastodon's REPLICA_DB_HOST): the suite's postgresql-replica when the postgresql-replica profile is on.",
    usedBy: `REPLICA_DB_HOST of ${MASTODON}, only when set` },
  { name: "REPLICA_DB_PORT", group: "Optional services", kind: kinds.port, default: "5433", defaultWithProfile: "postgresql-replica",
    description: "Port of the read replica; the suite's postgresql-replica listens on 5433.", usedBy: `REPLICA_DB_PORT of ${MASTODON}, only when set` },
  { name: "REPLICA_DB_NAME", group: "Optional services", kind: kinds.identifier, default: "${DB_NAME}", defaultWithProfile: "postgresql-replica",
    description: "Database name on the replica (the primary's: a streaming replica is a copy). Setting it is what turns Mastodon's replica reads on.",
    usedBy: `REPLICA_DB_NAME of ${MASTODON}, only when set` },
  { name: "REPLICA_DB_USER", group: "Optional services", kind: kinds.identifier, default: "${DB_USER}", defaultWithProfile: "postgresql-replica",
    description: "Role Mastodon reads the replica as (the primary's DB_USER, copied with the data; its password is DB_PASS).",
    usedBy: `REPLICA_DB_USER of ${MASTODON}, only when set` },
  // redis
  { name: "REDIS_HOST", group: "Redis", kind: kinds.host, default: "10.89.0.11", description: "Redis host (the suite's redis container)." },
  { name: "REDIS_PORT", group: "Redis", kind: kinds.port, default: "6379", description: "Redis port." },
  { name: "REDIS_PASSWORD", group: "Redis", kind: kinds.generatedPassword, secret: true, generated: true,
    description: "Password Redis requires of every client (requirepass). Generated (32 letters and digits) when blank.",
    usedBy: `podman secret mastodon_redis_password: REDIS_PASSWORD of redis and redis-cache (requirepass, rendered at start), REDIS_PASSWORD of ${MASTODON} and CACHE_REDIS_PASSWORD of ${RAILS}; micropod health` },
  { name: "CACHE_REDIS_HOST", group: "Redis", kind: kinds.host, default: "10.89.0.14", defaultWithProfile: "redis-cache",
    description: "Redis host of Mastodon's cache (Mastodon's CACHE_REDIS_HOST): the suite's redis-cache container when the redis-cache profile is on. Unset, the cache shares REDIS_HOST's Redis.",
    usedBy: `CACHE_REDIS_HOST of ${MASTODON}, only when set` },
  { name: "CACHE_REDIS_PORT", group: "Redis", kind: kinds.port, default: "6380", defaultWithProfile: "redis-cache",
    description: "Port of the cache Redis (Mastodon's CACHE_REDIS_PORT); the suite's redis-cache listens on 6380.", usedBy: `CACHE_REDIS_PORT of ${MASTODON}, only when set` },
  { name: "CACHE_REDIS_MAXMEMORY", group: "Redis", kind: kinds.memory, default: "256mb",
    description: "Memory the redis-cache container may fill before it evicts the least recently used keys (its maxmemory).",
    usedBy: "REDIS_MAXMEMORY of redis-cache" },
  // Mastodon secrets
  { name: "SECRET_KEY", group: "Mastodon secrets", kind: kinds.railsSecret, secret: true, generated: true,
    description: "Mastodon's SECRET_KEY_BASE (sessions, signed cookies). Generated like `rails secret` when blank.",
    usedBy: `podman secret mastodon_secret_key: SECRET_KEY_BASE of ${RAILS}` },
  { name: "OTP_SECRET", group: "Mastodon secrets", kind: kinds.railsSecret, secret: true, generated: true,
    description: "Mastodon's OTP_SECRET (two-factor codes). Generated like `rails secret` when blank.",
    usedBy: `podman secret mastodon_otp_secret: OTP_SECRET of ${RAILS}` },
  { name: "VAPID_PRIVATE_KEY", group: "Mastodon secrets", kind: kinds.vapidPrivate, secret: true, generated: true,
    description: "Web Push VAPID private key. Set together with VAPID_PUBLIC_KEY or leave both blank to generate a pair.",
    usedBy: `podman secret mastodon_vapid_private_key: VAPID_PRIVATE_KEY of ${RAILS}` },
  { name: "VAPID_PUBLIC_KEY", group: "Mastodon secrets", kind: kinds.vapidPublic, generated: true,
    description: "Web Push VAPID public key, the pair of VAPID_PRIVATE_KEY. Not secret (browsers receive it).",
    usedBy: `VAPID_PUBLIC_KEY of ${MASTODON}` },
  { name: "ACTIVE_RECORD_ENCRYPTION_DETERMINISTIC_KEY", group: "Mastodon secrets", kind: kinds.arKey, secret: true, generated: true, aliases: ["ACTIVE_DETERMINISTIC_KEY"],
    description: "Active Record encryption deterministic key. Generated like `bin/rails db:encryption:init` when blank.",
    usedBy: `podman secret mastodon_active_record_encryption_deterministic_key: ACTIVE_RECORD_ENCRYPTION_DETERMINISTIC_KEY of ${RAILS}` },
  { name: "ACTIVE_RECORD_ENCRYPTION_KEY_DERIVATION_SALT", group: "Mastodon secrets", kind: kinds.arKey, secret: true, generated: true, aliases: ["ACTIVE_KEY_DERIVATION_SALT"],
    description: "Active Record encryption key derivation salt. Generated when blank.",
    usedBy: `podman secret mastodon_active_record_encryption_key_derivation_salt: ACTIVE_RECORD_ENCRYPTION_KEY_DERIVATION_SALT of ${RAILS}` },
  { name: "ACTIVE_RECORD_ENCRYPTION_PRIMARY_KEY", group: "Mastodon secrets", kind: kinds.arKey, secret: true, generated: true, aliases: ["ACTIVE_PRIMARY_KEY"],
    description: "Active Record encryption primary key. Generated when blank.",
    usedBy: `podman secret mastodon_active_record_encryption_primary_key: ACTIVE_RECORD_ENCRYPTION_PRIMARY_KEY of ${RAILS}` },
  // mail
  { name: "MY_MAIL_HOST", group: "Outgoing mail", kind: kinds.host, required: true, example: "mail.example.org",
    description: "SMTP server Mastodon sends mail through (Mastodon's SMTP_SERVER).", usedBy: `SMTP_SERVER of ${MASTODON}` },
  { name: "MY_MAIL_PORT", group: "Outgoing mail", kind: kinds.port, default: "587", description: "SMTP port (587: submission with STARTTLS).",
    usedBy: `SMTP_PORT of ${MASTODON}` },
  { name: "MY_MAIL_USER", group: "Outgoing mail", kind: kinds.text, aliases: ["MY_MAIL_USERNAME"],
    description: "SMTP login. Set together with MY_MAIL_PASSWORD.", usedBy: `SMTP_LOGIN of ${MASTODON}` },
  { name: "MY_MAIL_PASSWORD", group: "Outgoing mail", kind: kinds.password, secret: true,
    description: "SMTP password. Never generated: it belongs to your mail provider.", usedBy: `podman secret mastodon_my_mail_password: SMTP_PASSWORD of ${RAILS}` },
  { name: "MY_MAIL_FROM", group: "Outgoing mail", kind: kinds.email, default: "notifications@${DOMAIN}", example: "notifications@example.org", aliases: ["MY_MAIL_FROM_ADDRESS"],
    description: "Sender address of Mastodon's mail (Mastodon's SMTP_FROM_ADDRESS).", usedBy: `SMTP_FROM_ADDRESS of ${MASTODON}` },
  // S3
  { name: "S3_ENABLED", group: "Object storage (S3)", kind: kinds.boolean, default: "false", defaultWhenSet: { variable: "S3_ACCESS_KEY_ID", value: "true" },
    description: "Store media in S3-compatible object storage instead of the local data directory. When not set, it is true as soon as S3_ACCESS_KEY_ID is set: the seed suite always stores media in S3 and has no switch." },
  { name: "S3_BUCKET", group: "Object storage (S3)", kind: kinds.bucket, description: "Bucket name. Required when S3_ENABLED=true.",
    usedBy: `S3_BUCKET of ${MASTODON}; nginx-media reads /<bucket>/<key> from the S3 host` },
  { name: "S3_REGION", group: "Object storage (S3)", kind: kinds.region, default: "us-east-1", description: "Bucket region.", usedBy: `S3_REGION of ${MASTODON}` },
  { name: "S3_HOSTNAME", group: "Object storage (S3)", kind: kinds.hostname, description: "S3 hostname, when it differs from the endpoint's." },
  { name: "S3_IP_ADDRESS_1", group: "Object storage (S3)", kind: kinds.ipv4,
    description: "IPv4 address of the S3 server nginx-media proxies to (the seed suite's haproxy did this).",
    usedBy: "nginx-media: the S3 host media is read from and the S3 API is relayed to; S3_ENDPOINT's default" },
  { name: "S3_READ_PORT_NUMBER", group: "Object storage (S3)", kind: kinds.port, description: "Port nginx-media reads media from on S3_IP_ADDRESS_1.",
    usedBy: "nginx-media: the S3 host's port media is read from (cached)" },
  { name: "S3_WRITE_PORT_NUMBER", group: "Object storage (S3)", kind: kinds.port, description: "Port uploads are written to on S3_IP_ADDRESS_1 (its S3 API).",
    usedBy: "nginx-media: the S3 API relayed on its port 8081; S3_ENDPOINT's default" },
  { name: "S3_ENDPOINT", group: "Object storage (S3)", kind: kinds.url, default: "http://${S3_IP_ADDRESS_1}:${S3_WRITE_PORT_NUMBER}",
    description: "S3 API endpoint URL. Required when S3_ENABLED=true; defaults to the S3 API on S3_IP_ADDRESS_1 when that and S3_WRITE_PORT_NUMBER are set." },
  { name: "S3_ALIAS_HOST", group: "Object storage (S3)", kind: kinds.hostname, aliases: ["S3_CDN_HOSTNAME"],
    description: "Public hostname media is served from (by the suite's nginx-media). Required when S3_ENABLED=true.",
    usedBy: `S3_ALIAS_HOST of ${MASTODON}, nginx-media and haproxy (which routes that host to nginx-media)` },
  { name: "S3_ACCESS_KEY_ID", group: "Object storage (S3)", kind: kinds.text, aliases: ["S3_USER"],
    description: "S3 access key id (Mastodon's AWS_ACCESS_KEY_ID). Required when S3_ENABLED=true.",
    usedBy: `AWS_ACCESS_KEY_ID of ${MASTODON}; turns S3_ENABLED on when that is not set` },
  { name: "S3_SECRET_ACCESS_KEY", group: "Object storage (S3)", kind: kinds.password, secret: true, aliases: ["S3_PASSWORD"],
    description: "S3 secret key (Mastodon's AWS_SECRET_ACCESS_KEY). Required when S3_ENABLED=true; never generated.",
    usedBy: `podman secret mastodon_s3_secret_access_key: AWS_SECRET_ACCESS_KEY of ${RAILS}` },
  // search
  { name: "ELASTIC_ENABLED", group: "Full-text search", kind: kinds.boolean, default: "true", description: "Run full-text search (the suite's opensearch)." },
  { name: "ELASTIC_HOST", group: "Full-text search", kind: kinds.host, default: "10.89.0.12", description: "Search host (the suite's opensearch container)." },
  { name: "ELASTIC_PORT", group: "Full-text search", kind: kinds.port, default: "9200", description: "Search port." },
  { name: "ELASTIC_USER", group: "Full-text search", kind: kinds.searchUser, default: "mastodon", aliases: ["ELASTIC_USERNAME"],
    description: "Search user Mastodon logs in as. The suite's opensearch (security plugin on) creates it with ELASTIC_PASSWORD when its security index is first set up.",
    usedBy: `ES_USER of ${MASTODON}; ELASTIC_USER of opensearch (its one user)` },
  { name: "ELASTIC_PASSWORD", group: "Full-text search", kind: kinds.generatedPassword, secret: true, generated: true,
    description: "Password of ELASTIC_USER. Generated (32 letters and digits) when blank. The suite's opensearch takes it once, when its security index is first set up: changing it later needs the security plugin's account API too.",
    usedBy: `podman secret mastodon_elastic_password: ES_PASS of ${RAILS}, ELASTIC_PASSWORD of opensearch` },
  // translation
  { name: "DEEPL_API_KEY", group: "Translation", kind: kinds.password, secret: true, description: "DeepL API key; translation is off without it.",
    usedBy: `podman secret mastodon_deepl_api_key: DEEPL_API_KEY of ${RAILS}` },
  { name: "DEEPL_PLAN", group: "Translation", kind: kinds.deeplPlan, default: "free", aliases: ["DEEPL_API_PLAN"], description: "DeepL plan the key belongs to.",
    usedBy: `DEEPL_PLAN of ${MASTODON} (Mastodon's app/lib/translation_service.rb)` },
  // build and runtime
  { name: "MASTODON_VERSION", group: "Build and runtime", kind: kinds.gitTag, default: "v4.5.16", description: "Mastodon release built into the mastodon image." },
  { name: "RAILS_ENV", group: "Build and runtime", kind: kinds.railsEnv, default: "production",
    description: "Rails environment of the Mastodon processes. The seed suite's .env names it; the images are built for production only.",
    usedBy: `RAILS_ENV of ${MASTODON}` },
  { name: "FREEBSD_RELEASE", group: "Build and runtime", kind: kinds.freebsdRelease, default: "15.0", description: "FreeBSD release of the base images." },
  { name: "SIDEKIQ_THREADS", group: "Build and runtime", kind: kinds.threads, default: "25",
    description: "Threads per Sidekiq container; DB_POOL follows it." },
  { name: "MASTODON_PROMETHEUS_EXPORTER_SIDEKIQ_DETAILED_METRICS", group: "Build and runtime", kind: kinds.boolean, default: "false",
    description: "Mastodon's per-job and per-queue Sidekiq metrics on each Sidekiq container's exporter (port 9394); costs some overhead per job." },
  { name: "DATA_DIR", group: "Build and runtime", kind: kinds.path, default: "/var/db/micropod",
    description: "Persistent data (database, media, secrets in private/secrets.env, micropod state)." },
  { name: "LOG_DIR", group: "Build and runtime", kind: kinds.path, default: "/var/log/containers", description: "Container and build logs." },
  { name: "MONITORHOST", group: "Build and runtime", kind: kinds.alertmanager, description: "Alertmanager that health and certificate alerts go to (the seed's cron line sets it)." },
  { name: "INSTANCE", group: "Build and runtime", kind: kinds.text,
    description: "This host's name in alerts (the `instance` label; the seed's cron line sets it). Default: the host name." },
];

/**
 * The 35 variables of the seed suite's sample .env (codeberg.org/Honeyguide/micropod-mastodon-suite,
 * as its blog post prints it), in its order. Each is a variable above or one of its aliases.
 */
export const seedVariables: readonly string[] = [
  "IP4_ADDRESS", "IP6_ADDRESS", "PROXY_IP_V4", "PROXY_IP_V6",
  "DB_HOST", "DB_PORT", "DB_NAME", "DB_USER", "DB_PASSWORD",
  "RAILS_ENV", "DOMAIN", "SECRET_KEY", "OTP_SECRET", "VAPID_PRIVATE_KEY", "VAPID_PUBLIC_KEY",
  "ACTIVE_PRIMARY_KEY", "ACTIVE_DETERMINISTIC_KEY", "ACTIVE_KEY_DERIVATION_SALT",
  "MY_MAIL_HOST", "MY_MAIL_PORT", "MY_MAIL_USERNAME", "MY_MAIL_PASSWORD", "MY_MAIL_FROM_ADDRESS",
  "S3_BUCKET", "S3_REGION", "S3_USER", "S3_PASSWORD", "S3_CDN_HOSTNAME",
  "ELASTIC_USERNAME", "ELASTIC_PASSWORD", "DEEPL_API_KEY", "DEEPL_API_PLAN",
  "S3_IP_ADDRESS_1", "S3_READ_PORT_NUMBER", "S3_WRITE_PORT_NUMBER",
];

/**
 * Variables micropod sets from others under the names Mastodon reads, so the compose file can
 * say `${SMTP_SERVER}`. Setting one of these in .env is an error (set its source instead).
 * Present only when the source has a value; secret when the source is.
 */
export const derivedVariables: Readonly<Record<string, string>> = {
  LOCAL_DOMAIN: "DOMAIN",
  SECRET_KEY_BASE: "SECRET_KEY",
  DB_POOL: "SIDEKIQ_THREADS",
  SMTP_SERVER: "MY_MAIL_HOST",
  SMTP_PORT: "MY_MAIL_PORT",
  SMTP_LOGIN: "MY_MAIL_USER",
  SMTP_PASSWORD: "MY_MAIL_PASSWORD",
  SMTP_FROM_ADDRESS: "MY_MAIL_FROM",
  AWS_ACCESS_KEY_ID: "S3_ACCESS_KEY_ID",
  AWS_SECRET_ACCESS_KEY: "S3_SECRET_ACCESS_KEY",
  ES_ENABLED: "ELASTIC_ENABLED",
  ES_HOST: "ELASTIC_HOST",
  ES_PORT: "ELASTIC_PORT",
  ES_USER: "ELASTIC_USER",
  ES_PASS: "ELASTIC_PASSWORD",
};

export const variableByName: ReadonlyMap<string, VariableSpec> = new Map(variables.map((v) => [v.name, v]));
/** Every alias, to the variable it spells. */
export const aliasTarget: ReadonlyMap<string, string> = new Map(variables.flatMap((v) => (v.aliases ?? []).map((a) => [a, v.name] as const)));
/** The variable a name means: itself, or the one it is an alias of; undefined for an unknown name. */
export const canonicalName = (name: string): string | undefined => (variableByName.has(name) ? name : aliasTarget.get(name));
export const secretVariables: readonly string[] = variables.filter((v) => v.secret).map((v) => v.name);
/** Generated when blank, in the order they are written to secrets.env. */
export const generatedVariables: readonly string[] = variables.filter((v) => v.generated).map((v) => v.name);
