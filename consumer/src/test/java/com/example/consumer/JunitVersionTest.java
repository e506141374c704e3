package com.example.consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import org.junit.jupiter.api.Test;

/** That this project runs on the JUnit its BOM chose (expected-junit.properties), API and engine alike. */
class JunitVersionTest {
    @Test
    void theBomsJunitIsTheOneOnTheClasspath() throws Exception {
        Properties expected = new Properties();
        try (InputStream in = JunitVersionTest.class.getResourceAsStream("/expected-junit.properties")) {
            if (in == null) {
                throw new IOException("expected-junit.properties missing from the test resources");
            }
            expected.load(in);
        }
        String version = expected.getProperty("junit.version");
        assertEquals(version, Test.class.getPackage().getImplementationVersion(), "junit-jupiter-api");
        assertEquals(version, Class.forName("org.junit.jupiter.engine.JupiterTestEngine").getPackage()
                .getImplementationVersion(), "junit-jupiter-engine");
    }
}
