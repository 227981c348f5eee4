-- Work orders per site or device, their checklist tasks, and technician visits.
CREATE TABLE IF NOT EXISTS work_orders (
    id           BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    org_id       BIGINT NOT NULL,
    site_id      BIGINT NOT NULL,
    device_id    BIGINT NULL,
    title        VARCHAR(200) NOT NULL,
    description  TEXT NOT NULL,
    priority     ENUM('low','normal','high','urgent') NOT NULL DEFAULT 'normal',
    status       ENUM('open','scheduled','inprogress','done','cancelled') NOT NULL DEFAULT 'open',
    created_by   BIGINT NOT NULL,
    assigned_to  BIGINT NULL,
    due_date     DATE NULL,
    created_at   DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    updated_at   DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
    closed_at    DATETIME(6) NULL,
    KEY ix_work_orders_site (site_id, id),
    KEY ix_work_orders_device (device_id),
    KEY ix_work_orders_assignee (assigned_to, status)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS work_order_tasks (
    id             BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    work_order_id  BIGINT NOT NULL,
    position       INT NOT NULL,
    title          VARCHAR(200) NOT NULL,
    done           BOOLEAN NOT NULL DEFAULT FALSE,
    done_at        DATETIME(6) NULL,
    done_by        BIGINT NULL,
    UNIQUE KEY uq_work_order_tasks_position (work_order_id, position),
    CONSTRAINT fk_work_order_tasks_order FOREIGN KEY (work_order_id) REFERENCES work_orders (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS technician_visits (
    id               BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    work_order_id    BIGINT NOT NULL,
    technician_id    BIGINT NOT NULL,
    scheduled_start  DATETIME(6) NOT NULL,
    scheduled_end    DATETIME(6) NOT NULL,
    arrived_at       DATETIME(6) NULL,
    departed_at      DATETIME(6) NULL,
    notes            TEXT NULL,
    created_at       DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    KEY ix_technician_visits_order (work_order_id),
    CONSTRAINT fk_technician_visits_order FOREIGN KEY (work_order_id) REFERENCES work_orders (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
