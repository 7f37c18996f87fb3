process.env.TEST_ENGINE = 'mariadb';
