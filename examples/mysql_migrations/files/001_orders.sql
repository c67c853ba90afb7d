-- New table for orders; the running application does not use it yet.
CREATE TABLE IF NOT EXISTS orders (
  id BIGINT PRIMARY KEY AUTO_INCREMENT,
  customer VARCHAR(64) NOT NULL,
  total DECIMAL(10,2) NOT NULL DEFAULT 0
) DEFAULT CHARSET=utf8mb4;
INSERT INTO orders (customer, total) VALUES ('first', 1.00);
