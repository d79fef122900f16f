-- Each recorded backtest (`revcast backtest`, and the demo's), whole, as JSON: the accuracy page
-- shows the latest of each period kind.
CREATE TABLE backtests (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    made_at TEXT NOT NULL,
    outcome TEXT NOT NULL
);
