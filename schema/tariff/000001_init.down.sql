DROP TABLE IF EXISTS site_tariffs;
DROP TABLE IF EXISTS tariff_periods;
DROP TABLE IF EXISTS tariffs;
