SELECT COUNT(*) FROM shipments WHERE weight_kg > 10
