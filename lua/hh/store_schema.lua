-- hh.store_schema: the team store's tables, as numbered migrations. Each
-- runs once, in its own transaction, under an advisory lock, so workers
-- starting together do not race; hh_migrations says which have run. A store
-- newer than this hh is refused rather than guessed at. docs/team.md
-- describes every column.

local M = {}

-- The advisory lock key of migrations (any constant shared by every hh).
M.LOCK = 7461001

M.MIGRATIONS = {
  [1] = [[
CREATE TABLE hh_jobs (
  id text PRIMARY KEY,            -- the job id: hash of the canonical request, sample and variant
  params text NOT NULL,           -- canonical JSON of the request
  credits integer NOT NULL,       -- hh's price for it (the most it costs)
  recipe text,                    -- the recipe's name (budgets per recipe)
  state text NOT NULL DEFAULT 'new'
    CHECK (state IN ('new', 'claimed', 'submitting', 'submitted', 'succeeded', 'done', 'failed', 'unknown')),
  owner text,                     -- the worker holding the claim (host, run directory id)
  lease_until timestamptz,        -- the claim lapses after this unless renewed
  fence bigint NOT NULL DEFAULT 0, -- raised by every claim: a write with an older one is refused
  task_id text, idempotency_key text, attempts integer NOT NULL DEFAULT 0,
  sha256 text, bytes bigint,      -- the clip, once done (the team cache's name for it)
  class text, error text,
  person text,                    -- who sent it
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX hh_jobs_owner ON hh_jobs (owner) WHERE owner IS NOT NULL;

CREATE TABLE hh_spend (
  id bigserial PRIMARY KEY,
  at timestamptz NOT NULL DEFAULT now(), -- when the credits were reserved (the period they count in)
  job text NOT NULL, attempt integer, task_id text,
  person text NOT NULL, recipe text, key_id text NOT NULL, worker text NOT NULL,
  reserved integer NOT NULL,      -- the worst case, reserved before the request
  charged integer,                -- what the host said it charged; NULL: it has not said
  state text NOT NULL CHECK (state IN ('reserved', 'sending', 'unknown', 'charged', 'released'))
);
CREATE INDEX hh_spend_at ON hh_spend (at);
CREATE INDEX hh_spend_job ON hh_spend (job);

CREATE TABLE hh_budgets (
  scope text NOT NULL CHECK (scope IN ('team', 'recipe', 'key')),
  name text NOT NULL,             -- '' for the team, a recipe's name, a key id
  period text NOT NULL CHECK (period IN ('day', 'month', 'total')),
  credits bigint NOT NULL CHECK (credits >= 0),
  set_by text, set_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (scope, name)
);

CREATE TABLE hh_workers (
  worker text PRIMARY KEY, person text, host text, pid integer, key_id text NOT NULL, recipe text,
  started_at timestamptz NOT NULL DEFAULT now(), seen_at timestamptz NOT NULL DEFAULT now()
);
]],
}

M.VERSION = #M.MIGRATIONS

return M
