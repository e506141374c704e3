package io.mdocker.internal.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * DeviceRules' reduction of a rule list, decision logic only (no kernel): what runc's device
 * emulator makes of the same lists. The kernel side (v1 devices cgroup, v2 program) is
 * DeviceRulesTest's and OciRuntimeTest's, with real containers.
 */
class DeviceRuleListTest {
    private static DeviceRules.Rule allow(String r) {
        return DeviceRules.Rule.parse(true, r);
    }

    private static DeviceRules.Rule deny(String r) {
        return DeviceRules.Rule.parse(false, r);
    }

    private static final DeviceRules.Rule DENY_ALL = deny("a *:* rwm");

    @Test
    void anEmptyListOrDenyAllIsTheDefault() {
        assertThat(DeviceRules.of(List.of())).isEqualTo(DeviceRules.DEFAULT);
        assertThat(DeviceRules.of(List.of(DENY_ALL)).isDefault()).isTrue();
        // what Podman and containerd send: deny all, then the default devices again
        List<DeviceRules.Rule> engine = new ArrayList<>(List.of(DENY_ALL));
        engine.addAll(DeviceRules.DEFAULT_ALLOWED);
        assertThat(DeviceRules.of(engine).isDefault()).isTrue();
        assertThat(DeviceRules.DEFAULT.v1List()).containsExactlyElementsOf(DevicesCgroupV1.RULES);
        assertThat(DeviceRules.DEFAULT.allowsAll()).isFalse();
    }

    @Test
    void allowAllIsAllowAll() {
        assertThat(DeviceRules.ALLOW_ALL.allowsAll()).isTrue();
        assertThat(DeviceRules.of(List.of(DENY_ALL, allow("a *:* rwm"))).allowsAll()).isTrue();
        assertThat(DeviceRules.ALLOW_ALL.v1Writes()).containsExactly(new DeviceRules.Write("devices.allow", "a"));
    }

    @Test
    void anAllowAddsAnExceptionAndALaterDenyTakesItBack() {
        DeviceRules fuse = DeviceRules.of(List.of(DENY_ALL, allow("c 10:229 rwm")));
        assertThat(fuse.isDefault()).isFalse();
        assertThat(fuse.v1List()).contains("c 10:229 rwm").hasSize(DevicesCgroupV1.RULES.size() + 1);
        assertThat(fuse.v1Writes().get(0)).isEqualTo(new DeviceRules.Write("devices.deny", "a"));
        assertThat(fuse.v1Writes()).contains(new DeviceRules.Write("devices.allow", "c 10:229 rwm"));
        assertThat(DeviceRules.of(List.of(DENY_ALL, allow("c 10:229 rwm"), deny("c 10:229 rwm"))))
                .isEqualTo(DeviceRules.DEFAULT);
        assertThat(DeviceRules.of(List.of(DENY_ALL, allow("c 10:229 rwm"), deny("c 10:229 w"))).v1List())
                .contains("c 10:229 rm");
        // a rule before the deny-all counts for nothing
        assertThat(DeviceRules.of(List.of(allow("c 10:229 rwm"), DENY_ALL))).isEqualTo(DeviceRules.DEFAULT);
    }

    @Test
    void aDenyListKeepsItsDenies() {
        DeviceRules rules = DeviceRules.of(List.of(allow("a *:* rwm"), deny("c 10:237 rw")));
        assertThat(rules.allowsAll()).isFalse();
        assertThat(rules.v1Writes()).containsExactly(new DeviceRules.Write("devices.allow", "a"),
                new DeviceRules.Write("devices.deny", "c 10:237 rw"));
        // the default allowances appended take a deny of a default device back, as runc's do
        assertThat(DeviceRules.of(List.of(allow("a *:* rwm"), deny("c 1:3 rwm"))).allowsAll()).isTrue();
    }

    @Test
    void aDenyInsideAWildcardAllowIsRefusedNamingIt() {
        assertThatThrownBy(() -> DeviceRules.of(List.of(DENY_ALL, allow("c 10:* rwm"), deny("c 10:229 rw")),
                "linux.resources.devices"))
                .hasMessage("linux.resources.devices[2]: deny c 10:229 rw takes access from inside the wider exception "
                        + "c 10:* rwm (the v1 devices cgroup cannot; name the devices one by one)");
        // the default "c *:* m" is such a wildcard for m
        assertThatThrownBy(() -> DeviceRules.of(List.of(DENY_ALL, allow("c *:* m"), deny("c 1:7 m"))))
                .hasMessageStartingWith("rules[2]: deny c 1:7 m takes access from inside the wider exception c *:* m");
        // accesses the wildcard does not grant may go
        assertThat(DeviceRules.of(List.of(DENY_ALL, allow("c *:* m"), allow("c 10:229 rwm"), deny("c 10:229 rw"))).v1List())
                .contains("c 10:229 m");
    }

    @Test
    void badValuesAreRefusedNamingThem() {
        assertThatThrownBy(() -> new DeviceRules.Rule(true, 'x', 1, 1, "rwm")).hasMessage("type 'x' (expected a, b or c)");
        assertThatThrownBy(() -> new DeviceRules.Rule(true, 'c', -2, 1, "rwm"))
                .hasMessage("major -2 (expected -1 or absent for any, or 0 to 4095)");
        assertThatThrownBy(() -> new DeviceRules.Rule(true, 'c', 1, 1 << 20, "rwm"))
                .hasMessage("minor 1048576 (expected -1 or absent for any, or 0 to 1048575)");
        assertThatThrownBy(() -> new DeviceRules.Rule(true, 'c', 1, 1, "rwz"))
                .hasMessage("access 'rwz' (expected one or more of r, w, m)");
        assertThatThrownBy(() -> DeviceRules.Rule.parse(true, "c 1:x rwm"))
                .hasMessage("device rule 'c 1:x rwm': minor 'x' (expected * or a number from 0 to 1048575)");
    }

    /** The program's shape: six loads, one block per exception ending in its verdict, then the default. */
    @Test
    void theProgramHasABlockPerException() {
        DeviceRules fuse = DeviceRules.of(List.of(DENY_ALL, allow("c 10:229 r")));
        ByteBuffer p = ByteBuffer.wrap(fuse.bpfProgram()).order(ByteOrder.LITTLE_ENDIAN);
        int n = p.capacity() / 8;
        int exits = 0, allows = 0;
        for (int i = 0; i < n; i++) {
            int code = p.get(i * 8) & 0xff;
            if (code == 0x95) {
                exits++;
                int verdict = p.getInt((i - 1) * 8 + 4);
                allows += verdict;
                assertThat(p.get((i - 1) * 8) & 0xff).as("r0 = verdict before exit").isEqualTo(0xb7);
            }
            if (code == 0x55 || code == 0x5d || code == 0x15) { // JNE imm, JNE reg, JEQ imm: forward to the next block
                short off = p.getShort(i * 8 + 2);
                assertThat(off).as("jump %d goes forward", i).isPositive();
                assertThat(i + 1 + off).as("jump %d stays in the program", i).isBetween(0, n - 2);
                assertThat(p.get((i + off) * 8) & 0xff).as("jump %d lands after an exit", i).isEqualTo(0x95);
            }
        }
        assertThat(exits).isEqualTo(DevicesCgroupV1.RULES.size() + 2); // each exception, and the default
        assertThat(allows).isEqualTo(DevicesCgroupV1.RULES.size() + 1); // every exception allows; the default denies
        assertThat(p.getInt((n - 2) * 8 + 4)).as("the default: deny").isZero();
    }
}
