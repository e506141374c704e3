package io.mdocker.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.mdocker.Container;
import io.mdocker.DataSize;
import io.mdocker.ImageStore;
import io.mdocker.Network;
import io.mdocker.PullPolicy;
import io.mdocker.RunningContainer;
import io.mdocker.Wait;
import io.mdocker.junit.MdockerTest;
import io.mdocker.junit.Sandbox;
import io.mdocker.junit.SandboxContainer;
import io.mdocker.testing.TestBridge;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A JUnit test against a real database server: PostgreSQL 15 from Debian's packages in a
 * container of its own for each test, reached through its JDBC driver on a port published on
 * 127.0.0.1. Its image is made without Docker Hub: {@code scripts/debian-rootfs} (debootstrap,
 * cached under {@code /var/cache/mdocker-test}: minutes the first time, nothing afterwards), then
 * imported into the image store; the server starts from an empty data directory on a tmpfs, so every container
 * begins with a new database. The test bridge goes after the class, once its sandboxes are
 * closed ({@code @TestBridge} before {@code @MdockerTest}).
 */
@TestBridge(name = PostgresExampleTest.BRIDGE, address = PostgresExampleTest.BRIDGE_ADDRESS)
@MdockerTest
class PostgresExampleTest {
    static final String BRIDGE = "mdt98";
    static final String BRIDGE_ADDRESS = "10.201.98.1/24";
    /** A tmpfs open to all, as /tmp is; initdb makes the data directory in it, owned by postgres. */
    static final String SCRATCH = "/pgdata";
    static final String DATA = SCRATCH + "/15";

    @Sandbox // a new server for every test, removed after it
    SandboxContainer postgres = postgres();

    /** The image the cached root filesystem is imported as. */
    static final String IMAGE = "mdocker-test/postgres:15";

    /**
     * The container's root: the one place that chooses it. The image {@value #IMAGE}, imported
     * once per state root from the tar of Debian bookworm with postgresql-15 that
     * scripts/debian-rootfs makes and caches ({@code mdocker import <cache>/rootfs.tar
     * mdocker-test/postgres:15} does the same); never pulled. PostgreSQL refuses to run as root:
     * the user is the image's {@code postgres}, found by name in its /etc/passwd.
     */
    static Container.Builder postgresRoot() {
        ImageStore store = ImageStore.of(ExampleSetup.runtime());
        synchronized (PostgresExampleTest.class) {
            if (store.inspect(IMAGE).isEmpty()) {
                store.importRootfs(DebianRootfs.of("bookworm", "postgresql-15").tar(), IMAGE);
            }
        }
        return Container.builder().image(IMAGE).pullPolicy(PullPolicy.NEVER).user("postgres");
    }

    /**
     * The server: initdb into a tmpfs, then postgres in the foreground, listening on every
     * address, its Unix socket in /tmp. {@code host all all 0.0.0.0/0 trust} lets anyone in
     * without a password: a test-only setting, as are fsync off and initdb's --no-sync (the data
     * dies with the container anyway).
     */
    static SandboxContainer postgres() {
        return SandboxContainer.of(postgresRoot()
                        .runtime(ExampleSetup.runtime())
                        .network(Network.bridge(BRIDGE, BRIDGE_ADDRESS))
                        .publish("127.0.0.1", 0, 5432)
                        .memory(DataSize.ofMiB(256))
                        .tmpfs(SCRATCH, "size=128m,mode=1777")
                        .env("PATH", "/usr/lib/postgresql/15/bin:/usr/sbin:/usr/bin:/sbin:/bin")
                        .command("sh", "-c", "initdb -D " + DATA + " -U postgres -A trust -E UTF8 --locale=C.UTF-8 --no-sync"
                                + " && echo 'host all all 0.0.0.0/0 trust' >> " + DATA + "/pg_hba.conf"
                                + " && exec postgres -D " + DATA + " -k /tmp -c listen_addresses='*' -c fsync=off")
                        .build())
                .waitingFor(Wait.forLogLine("database system is ready to accept connections")
                        .withTimeout(Duration.ofSeconds(60)));
    }

    private Connection connect(SandboxContainer db) throws SQLException {
        String url = "jdbc:postgresql://" + db.host() + ":" + db.mappedPort(5432) + "/postgres";
        return DriverManager.getConnection(url, "postgres", "");
    }

    @Test
    void storesAndQueriesRowsThroughJdbc() throws SQLException {
        try (Connection c = connect(postgres); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE greeting (id serial PRIMARY KEY, lang text NOT NULL, word text NOT NULL)");
            try (PreparedStatement insert = c.prepareStatement("INSERT INTO greeting (lang, word) VALUES (?, ?)")) {
                for (String[] row : new String[][] {{"en", "hello"}, {"fr", "bonjour"}, {"de", "hallo"}}) {
                    insert.setString(1, row[0]);
                    insert.setString(2, row[1]);
                    insert.addBatch();
                }
                assertThat(insert.executeBatch()).containsExactly(1, 1, 1);
            }
            List<String> rows = new ArrayList<>();
            try (ResultSet r = s.executeQuery("SELECT id, lang, word FROM greeting WHERE lang <> 'de' ORDER BY id")) {
                while (r.next()) {
                    rows.add(r.getInt(1) + " " + r.getString(2) + " " + r.getString(3));
                }
            }
            assertThat(rows).containsExactly("1 en hello", "2 fr bonjour");

            // The server is the image's PostgreSQL 15, run by its postgres user, on the test bridge.
            try (ResultSet r = s.executeQuery("SELECT current_setting('server_version_num')::int, current_user,"
                    + " host(inet_server_addr()), count(*) FROM greeting")) {
                assertThat(r.next()).isTrue();
                assertThat(r.getInt(1)).isBetween(150000, 159999);
                assertThat(r.getString(2)).isEqualTo("postgres");
                assertThat(r.getString(3)).isEqualTo(postgres.container().ipAddress().orElseThrow());
                assertThat(r.getString(3)).startsWith("10.201.98.");
                assertThat(r.getLong(4)).isEqualTo(3);
            }
        }
        // Not root inside: the server made its data directory as the image's postgres user.
        assertThat(postgres.container().exec("stat", "-c", "%U %a", DATA).stdout()).isEqualTo("postgres 700\n");
    }

    @Test
    void aFreshContainerHasNoneOfTheLastOnesData(@Sandbox("postgres") RunningContainer first) throws SQLException {
        try (Connection c = connect(postgres); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE secret (v text)");
            s.execute("INSERT INTO secret VALUES ('left behind')");
        }
        assertThat(tables(postgres)).containsExactly("secret");
        String firstId = first.id();
        postgres.close(); // the extension's own close after the test is then a no-op

        try (SandboxContainer fresh = postgres.copy()) {
            fresh.start();
            assertThat(fresh.container().id()).isNotEqualTo(firstId);
            assertThat(tables(fresh)).as("the tables of a fresh container after %s", firstId).isEmpty();
        }
    }

    /** The names of the tables of the schema public. */
    private List<String> tables(SandboxContainer db) throws SQLException {
        List<String> names = new ArrayList<>();
        try (Connection c = connect(db); Statement s = c.createStatement();
                ResultSet r = s.executeQuery("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")) {
            while (r.next()) {
                names.add(r.getString(1));
            }
        }
        return names;
    }
}
