package io.mdocker.bench;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mdocker.Capability;
import io.mdocker.SeccompProfile;
import io.mdocker.SeccompProfile.Action;
import io.mdocker.SeccompProfile.Rule;

import java.util.Set;

/**
 * A {@link SeccompProfile} as the OCI runtime spec's {@code linux.seccomp} object, for a runc
 * bundle that runs under the same filter as an mdocker container: the rules are resolved for one
 * capability set, this machine's architecture and kernel, as Docker resolves its profile before
 * handing it to runc.
 */
final class OciSeccomp {
    private OciSeccomp() {}

    private static final String ARCH = "amd64";

    static ObjectNode of(SeccompProfile profile, Set<Capability> caps, int[] kernel) {
        JsonNodeFactory f = JsonNodeFactory.instance;
        ObjectNode o = f.objectNode();
        action(o, "defaultAction", "defaultErrnoRet", profile.defaultAction());
        ArrayNode arches = o.putArray("architectures");
        profile.architectures().forEach(arches::add);
        ArrayNode syscalls = o.putArray("syscalls");
        for (Rule r : profile.rules()) {
            if (!applies(r, caps, kernel)) {
                continue;
            }
            ObjectNode s = syscalls.addObject();
            ArrayNode names = s.putArray("names");
            r.names().forEach(names::add);
            action(s, "action", "errnoRet", r.action());
            if (!r.args().isEmpty()) {
                ArrayNode args = s.putArray("args");
                for (SeccompProfile.Arg a : r.args()) {
                    args.addObject().put("index", a.index()).put("value", a.value()).put("valueTwo", a.valueTwo())
                            .put("op", "SCMP_CMP_" + a.op().name());
                }
            }
        }
        return o;
    }

    private static boolean applies(Rule r, Set<Capability> caps, int[] kernel) {
        if (!caps.containsAll(r.includesCaps()) || r.excludesCaps().stream().anyMatch(caps::contains)) {
            return false;
        }
        if (!r.includesArches().isEmpty() && !r.includesArches().contains(ARCH) || r.excludesArches().contains(ARCH)) {
            return false;
        }
        if (r.minKernel() != null) {
            String[] v = r.minKernel().split("\\.");
            int major = Integer.parseInt(v[0]);
            int minor = Integer.parseInt(v[1]);
            return kernel[0] > major || kernel[0] == major && kernel[1] >= minor;
        }
        return true;
    }

    private static void action(ObjectNode o, String field, String errnoField, Action a) {
        o.put(field, switch (a.kind()) {
            case ALLOW -> "SCMP_ACT_ALLOW";
            case ERRNO -> "SCMP_ACT_ERRNO";
            case KILL_THREAD -> "SCMP_ACT_KILL";
            case KILL_PROCESS -> "SCMP_ACT_KILL_PROCESS";
            case TRAP -> "SCMP_ACT_TRAP";
            case TRACE -> "SCMP_ACT_TRACE";
            case LOG -> "SCMP_ACT_LOG";
        });
        if (a.kind() == Action.Kind.ERRNO || a.kind() == Action.Kind.TRACE) {
            o.put(errnoField, a.value());
        }
    }
}
