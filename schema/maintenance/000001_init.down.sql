DROP TABLE IF EXISTS technician_visits;
DROP TABLE IF EXISTS work_order_tasks;
DROP TABLE IF EXISTS work_orders;
