package io.mdocker.bindings;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.lang.foreign.AddressLayout;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.GroupLayout;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemoryLayout.PathElement;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.PaddingLayout;
import java.lang.foreign.UnionLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Checks the committed bindings against gcc and glibc on the machine running the tests.
 *
 * <p>Nothing is listed by hand: the constants are the upper-case, no-argument {@code int}/{@code
 * long} methods of {@link Linux}, the structs are the classes of this package with a static
 * {@code layout()} returning a {@link GroupLayout} (their fields come from that layout), the
 * functions are the {@code f$descriptor()}/{@code f$address()} methods and the variadic invoker
 * classes. A C probe that includes {@code jextract/mdocker.h} is generated from them, compiled with
 * gcc and run; every mismatch is reported at once. Function signatures are checked by letting gcc
 * compile one call per function with arguments of the types the descriptor claims, and
 * {@code jextract/includes.txt} must name exactly the symbols found. Without gcc the test fails: a
 * skipped ABI check would let a wrong binding through silently.
 */
class AbiProbeTest {

    private static final String PACKAGE = Linux.class.getPackageName();
    private static final String GCC = "gcc";
    private static final Pattern CONSTANT_NAME = Pattern.compile("[A-Z][A-Z0-9_]*");

    @TempDir
    static Path work;

    private static Path jextractDir;
    private static List<Constant> constants;
    private static List<Struct> structs;
    private static List<Function> functions;
    /** "key value" lines printed by the layout probe: const:NAME, sizeof:T, offset:T.f, ... */
    private static Map<String, Long> gccLayout;

    record Constant(String name, long value, Class<?> type) { }

    /** A struct class; cName is how C spells the type ("struct pollfd", "posix_spawnattr_t"). */
    record Struct(Class<?> type, String cName, GroupLayout layout, List<Field> fields) {
        String key() {
            return type.getSimpleName();
        }
    }

    /** path: member names from the struct down to the field (anonymous members included). */
    record Field(String name, List<String> path, MemoryLayout layout, long offset) { }

    /** problem: why the descriptor could not be read (jextract's holder class failed to link). */
    record Function(String name, FunctionDescriptor descriptor, boolean variadic, String problem) {
        boolean linked() {
            return problem == null;
        }
    }

    @BeforeAll
    static void discoverAndProbe() throws Exception {
        jextractDir = locateJextractDir();
        constants = discoverConstants();
        structs = discoverStructs();
        functions = discoverFunctions();
        gccLayout = parseKeyValues(compileAndRun("layout_probe", layoutProbeSource()));
        System.out.printf("ABI probe (%s): %d constants, %d structs with %d fields, %d functions%n",
                gccVersion(), constants.size(), structs.size(),
                structs.stream().mapToInt(s -> s.fields().size()).sum(), functions.size());
    }

    // ------------------------------------------------------------------------------------------
    // the checks

    @Test
    void everyConstantHasGccsValue() {
        List<String> mismatches = new ArrayList<>();
        for (Constant c : constants) {
            Long gcc = gccLayout.get("const:" + c.name());
            if (gcc == null) {
                mismatches.add(c.name() + ": not printed by the probe");
            } else if (!sameValue(c, gcc)) {
                mismatches.add(c.name() + ": Java " + c.value() + ", gcc " + gcc);
            }
        }
        assertThat(constants).as("constants found in Linux by reflection").isNotEmpty();
        assertThat(mismatches).as("constants that differ from gcc (%d checked)", constants.size()).isEmpty();
    }

    @Test
    void everyStructSizeAlignmentAndFieldOffsetIsGccs() throws ReflectiveOperationException {
        List<String> mismatches = new ArrayList<>();
        for (Struct s : structs) {
            String k = s.key();
            compare(mismatches, k + ": sizeof", s.layout().byteSize(), gccLayout.get("sizeof:" + k));
            compare(mismatches, k + ": sizeof()", (long) s.type().getMethod("sizeof").invoke(null),
                    gccLayout.get("sizeof:" + k));
            compare(mismatches, k + ": alignment", s.layout().byteAlignment(), gccLayout.get("alignof:" + k));
            for (Field f : s.fields()) {
                String fk = k + "." + f.name();
                Long gccOffset = gccLayout.get("offset:" + fk);
                compare(mismatches, fk + ": offset in layout", f.offset(), gccOffset);
                compare(mismatches, fk + ": size", f.layout().byteSize(), gccLayout.get("size:" + fk));
                if (f.path().size() == 1) { // jextract's accessors exist for direct members
                    Method offset = s.type().getMethod(f.name() + "$offset");
                    compare(mismatches, fk + ": " + f.name() + "$offset()", (long) offset.invoke(null), gccOffset);
                    Method layout = s.type().getMethod(f.name() + "$layout");
                    compare(mismatches, fk + ": " + f.name() + "$layout().byteSize()",
                            ((MemoryLayout) layout.invoke(null)).byteSize(), gccLayout.get("size:" + fk));
                }
            }
        }
        assertThat(structs).as("struct classes found in %s by reflection", PACKAGE).isNotEmpty();
        assertThat(mismatches)
                .as("struct layouts that differ from gcc (%d structs, %d fields checked)", structs.size(),
                        structs.stream().mapToInt(s -> s.fields().size()).sum())
                .isEmpty();
    }

    /**
     * gcc compiles one call per function with arguments of the carrier types the descriptor
     * claims: a wrong argument count fails to compile, a pointer passed for an integer (or the
     * reverse) is an error under -Werror=int-conversion, and -Wtraditional-conversion reports
     * every integer argument whose width the prototype changes. The return type's size and class
     * are printed by the probe.
     */
    @Test
    void everyFunctionDescriptorMatchesGccsPrototype() throws Exception {
        Path source = work.resolve("function_probe.c");
        Files.writeString(source, functionProbeSource());
        Path exe = work.resolve("function_probe");
        Result gcc = run(List.of(GCC, "-std=gnu11", "-I", jextractDir.toString(),
                "-Wtraditional-conversion", "-Werror=int-conversion", "-Werror=implicit-function-declaration",
                "-o", exe.toString(), source.toString()));
        if (gcc.exitCode() != 0) {
            fail("gcc rejects calls built from the bindings' function descriptors (wrong argument count, "
                    + "pointer/integer mix-up or unknown function):%n%s", gcc.output());
        }
        List<String> mismatches = new ArrayList<>();
        functions.stream().filter(f -> !f.linked()).forEach(f -> mismatches.add(f.name() + ": " + f.problem()));
        Pattern widthWarning = Pattern.compile(
                "warning: passing argument (\\d+) of '(\\w+)' with different width due to prototype");
        Set<String> widthChanged = new TreeSet<>();
        Matcher m = widthWarning.matcher(gcc.output());
        while (m.find()) {
            widthChanged.add(m.group(2) + "#" + m.group(1));
        }
        for (Function f : linkedFunctions()) {
            List<MemoryLayout> args = f.descriptor().argumentLayouts();
            for (int i = 0; i < args.size(); i++) {
                // A short or char argument is promoted to int, so gcc rightly warns when it is
                // narrowed back to a short or char parameter; anything else must pass unchanged.
                boolean expected = !(args.get(i) instanceof AddressLayout) && args.get(i).byteSize() < 4;
                boolean warned = widthChanged.contains(f.name() + "#" + (i + 1));
                if (warned != expected) {
                    mismatches.add(f.name() + ": argument " + (i + 1) + " is " + args.get(i) + " ("
                            + args.get(i).byteSize() + " bytes) in the descriptor, another width in C");
                }
            }
        }
        Map<String, Long> probe = parseKeyValues(runChecked(exe));
        for (Function f : linkedFunctions()) {
            var ret = f.descriptor().returnLayout();
            long kind = probe.get("retclass:" + f.name());
            if (ret.isEmpty()) {
                compare(mismatches, f.name() + ": returns void (type class)", 0, kind);
            } else {
                compare(mismatches, f.name() + ": return size", ret.get().byteSize(), probe.get("retsize:" + f.name()));
                compare(mismatches, f.name() + ": return is pointer (type class 5) or integer (1)",
                        ret.get() instanceof AddressLayout ? 5 : 1, kind);
            }
        }
        assertThat(functions).as("functions found in Linux by reflection").isNotEmpty();
        assertThat(mismatches).as("function descriptors that differ from gcc (%d checked)", functions.size())
                .isEmpty();
    }

    @Test
    void everyFunctionSymbolResolves() throws Exception {
        List<String> unresolved = new ArrayList<>();
        for (Method m : Linux.class.getDeclaredMethods()) {
            if (isPublicStatic(m) && m.getName().endsWith("$address") && m.getParameterCount() == 0) {
                unresolved.addAll(addressProblem(m));
            }
        }
        for (Class<?> invoker : variadicInvokers()) {
            unresolved.addAll(addressProblem(invoker.getMethod("address")));
        }
        assertThat(unresolved).as("functions of Linux whose symbol is missing or NULL").isEmpty();
    }

    @Test
    void includesTxtListsExactlyTheCommittedBindings() throws IOException {
        Map<String, Set<String>> includes = new HashMap<>();
        for (String line : Files.readAllLines(jextractDir.resolve("includes.txt"))) {
            String[] tokens = line.replaceAll("#.*", "").trim().split("\\s+");
            if (tokens.length == 2 && tokens[0].startsWith("--include-")) {
                includes.computeIfAbsent(tokens[0], k -> new TreeSet<>()).add(tokens[1]);
            }
        }
        Set<String> structsAndTypedefs = new TreeSet<>(includes.getOrDefault("--include-struct", Set.of()));
        structsAndTypedefs.addAll(includes.getOrDefault("--include-typedef", Set.of()));
        assertThat(includes.getOrDefault("--include-function", Set.of())).as("--include-function lines")
                .containsExactlyInAnyOrderElementsOf(functions.stream().map(Function::name).toList());
        assertThat(includes.getOrDefault("--include-constant", Set.of())).as("--include-constant lines")
                .containsExactlyInAnyOrderElementsOf(constants.stream().map(Constant::name).toList());
        assertThat(structsAndTypedefs).as("--include-struct and --include-typedef lines")
                .containsExactlyInAnyOrderElementsOf(structs.stream().map(Struct::key).toList());
    }

    @Test
    void closeOfAnInvalidDescriptorSetsEbadf() throws Throwable {
        MethodHandle close = capturingErrno(Linux.close$address(), Linux.close$descriptor());
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(Linker.Option.captureStateLayout());
            int rc = (int) close.invokeExact(state, -1);
            assertThat(rc).isEqualTo(-1);
            assertThat(errno(state)).as("errno after close(-1): %s", errnoName(errno(state)))
                    .isEqualTo(Linux.EBADF());
        }
    }

    @Test
    void pidfdOpenOfAMissingPidSetsEsrch() throws Throwable {
        MethodHandle pidfdOpen = capturingErrno(Linux.pidfd_open$address(), Linux.pidfd_open$descriptor());
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(Linker.Option.captureStateLayout());
            // above PID_MAX_LIMIT (2^22), so no process can have it
            int fd = (int) pidfdOpen.invokeExact(state, Integer.MAX_VALUE, 0);
            assertThat(fd).isEqualTo(-1);
            assertThat(errno(state))
                    .as("errno after pidfd_open(%d): %s (ENOSYS means a kernel before 5.3 or a seccomp filter "
                            + "hiding pidfd_open; the runtime needs it)", Integer.MAX_VALUE, errnoName(errno(state)))
                    .isEqualTo(Linux.ESRCH());
        }
    }

    @Test
    void errnoNamesAndTextsComeFromLibc() {
        assertThat(errnoName(Linux.EBADF())).isEqualTo("EBADF");
        assertThat(Linux.strerrordesc_np(Linux.ENOENT()).getString(0))
                .isEqualTo("No such file or directory");
    }

    // ------------------------------------------------------------------------------------------
    // discovery by reflection

    private static List<Constant> discoverConstants() throws ReflectiveOperationException {
        List<Constant> found = new ArrayList<>();
        for (Method m : Linux.class.getDeclaredMethods()) {
            Class<?> type = m.getReturnType();
            if (isPublicStatic(m) && m.getParameterCount() == 0 && (type == int.class || type == long.class)
                    && CONSTANT_NAME.matcher(m.getName()).matches()) {
                found.add(new Constant(m.getName(), ((Number) m.invoke(null)).longValue(), type));
            }
        }
        found.sort(Comparator.comparing(Constant::name));
        return found;
    }

    private static List<Struct> discoverStructs() throws Exception {
        List<Struct> found = new ArrayList<>();
        for (Class<?> type : classesOfThisPackage()) {
            Method layoutMethod;
            try {
                layoutMethod = type.getMethod("layout");
            } catch (NoSuchMethodException notAStruct) {
                continue;
            }
            if (!Modifier.isStatic(layoutMethod.getModifiers()) || layoutMethod.getParameterCount() != 0
                    || !GroupLayout.class.isAssignableFrom(layoutMethod.getReturnType())) {
                continue;
            }
            GroupLayout layout = (GroupLayout) layoutMethod.invoke(null);
            List<Field> fields = new ArrayList<>();
            collectFields(layout, List.of(), layout, fields);
            found.add(new Struct(type, cName(type, layout), layout, fields));
        }
        found.sort(Comparator.comparing(Struct::key));
        return found;
    }

    /**
     * jextract names the layout of a named struct after its tag and that of an anonymous one
     * "$anon$line:col"; the class of an anonymous struct is named after its typedef, which is then
     * also how C spells the type (a typedef class extending it, like sigset_t, is its own name).
     */
    private static String cName(Class<?> type, GroupLayout layout) {
        String name = layout.name().orElse("$anon$");
        if (name.startsWith("$anon$")) {
            return type.getSimpleName();
        }
        return (layout instanceof UnionLayout ? "union " : "struct ") + name;
    }

    /** Fields of anonymous nested structs/unions are reached in C as if they were direct members. */
    private static void collectFields(GroupLayout root, List<String> prefix, GroupLayout group, List<Field> out) {
        for (MemoryLayout member : group.memberLayouts()) {
            if (member instanceof PaddingLayout) {
                continue;
            }
            String name = member.name().orElseThrow(() -> new AssertionError("unnamed member in " + root));
            List<String> path = Stream.concat(prefix.stream(), Stream.of(name)).toList();
            if (name.startsWith("$anon$") && member instanceof GroupLayout nested) {
                collectFields(root, path, nested, out);
            } else {
                long offset = root.byteOffset(path.stream().map(PathElement::groupElement).toArray(PathElement[]::new));
                out.add(new Field(name, path, member, offset));
            }
        }
    }

    private static List<Function> discoverFunctions() throws ReflectiveOperationException {
        List<Function> found = new ArrayList<>();
        for (Method m : Linux.class.getDeclaredMethods()) {
            if (isPublicStatic(m) && m.getName().endsWith("$descriptor") && m.getParameterCount() == 0) {
                String name = m.getName().substring(0, m.getName().length() - "$descriptor".length());
                try {
                    found.add(new Function(name, (FunctionDescriptor) m.invoke(null), false, null));
                } catch (InvocationTargetException | ExceptionInInitializerError e) {
                    found.add(new Function(name, null, false, rootCause(e)));
                }
            }
        }
        for (Class<?> invoker : variadicInvokers()) {
            try {
                Object noVarargs = invoker.getMethod("makeInvoker", MemoryLayout[].class)
                        .invoke(null, (Object) new MemoryLayout[0]);
                FunctionDescriptor base = (FunctionDescriptor) invoker.getMethod("descriptor").invoke(noVarargs);
                found.add(new Function(invoker.getSimpleName(), base, true, null));
            } catch (InvocationTargetException | ExceptionInInitializerError e) {
                found.add(new Function(invoker.getSimpleName(), null, true, rootCause(e)));
            }
        }
        found.sort(Comparator.comparing(Function::name));
        return found;
    }

    private static List<Function> linkedFunctions() {
        return functions.stream().filter(Function::linked).toList();
    }

    private static List<Class<?>> variadicInvokers() {
        return Arrays.stream(Linux.class.getDeclaredClasses())
                .filter(c -> Modifier.isPublic(c.getModifiers()) && Modifier.isStatic(c.getModifiers()))
                .filter(c -> Arrays.stream(c.getDeclaredMethods())
                        .anyMatch(m -> m.getName().equals("makeInvoker") && isPublicStatic(m)))
                .sorted(Comparator.comparing(Class::getSimpleName))
                .toList();
    }

    /** The top-level classes compiled into this package (a directory under surefire, or a jar). */
    private static List<Class<?>> classesOfThisPackage() throws IOException, URISyntaxException,
            ClassNotFoundException {
        Path location = Path.of(Linux.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        String dir = PACKAGE.replace('.', '/') + "/";
        List<String> names;
        if (Files.isDirectory(location)) {
            try (Stream<Path> files = Files.list(location.resolve(dir))) {
                names = files.map(p -> p.getFileName().toString()).toList();
            }
        } else {
            try (JarFile jar = new JarFile(location.toFile())) {
                names = jar.stream().map(e -> e.getName())
                        .filter(n -> n.startsWith(dir) && n.indexOf('/', dir.length()) < 0)
                        .map(n -> n.substring(dir.length())).toList();
            }
        }
        List<Class<?>> classes = new ArrayList<>();
        for (String file : names) {
            if (file.endsWith(".class") && !file.contains("$") && !file.equals("package-info.class")) {
                classes.add(Class.forName(PACKAGE + "." + file.substring(0, file.length() - ".class".length())));
            }
        }
        return classes;
    }

    // ------------------------------------------------------------------------------------------
    // the C probes

    private static String layoutProbeSource() {
        StringBuilder c = new StringBuilder("""
                /* Generated by AbiProbeTest: what gcc says about the bindings' constants and structs. */
                #include "mdocker.h"
                #include <stddef.h>
                #include <stdio.h>

                int main(void) {
                """);
        for (Constant k : constants) {
            c.append("    printf(\"const:%s %lld\\n\", \"").append(k.name()).append("\", (long long) (")
                    .append(k.name()).append("));\n");
        }
        for (Struct s : structs) {
            String t = s.cName();
            c.append("    printf(\"sizeof:%s %zu\\n\", \"").append(s.key()).append("\", sizeof(").append(t).append("));\n");
            c.append("    printf(\"alignof:%s %zu\\n\", \"").append(s.key()).append("\", _Alignof(").append(t).append("));\n");
            for (Field f : s.fields()) {
                String key = s.key() + "." + f.name();
                c.append("    printf(\"offset:%s %zu\\n\", \"").append(key).append("\", offsetof(").append(t)
                        .append(", ").append(f.name()).append("));\n");
                c.append("    printf(\"size:%s %zu\\n\", \"").append(key).append("\", sizeof(((").append(t)
                        .append(" *) 0)->").append(f.name()).append("));\n");
            }
        }
        return c.append("    return 0;\n}\n").toString();
    }

    /**
     * Two calls per function, never evaluated (inside sizeof and enum constants): one with
     * variables of the descriptor's carrier types, where a pointer/integer mix-up is an
     * int-conversion error; one with constants of those types, where -Wtraditional-conversion
     * names each argument whose width the real prototype changes.
     */
    private static String functionProbeSource() {
        StringBuilder c = new StringBuilder("""
                /* Generated by AbiProbeTest: gcc checks calls built from the bindings' descriptors. */
                #include "mdocker.h"
                #include <stdio.h>

                static signed char v_char; static short v_short; static int v_int; static long v_long;
                static void *v_pointer;

                int main(void) {
                """);
        for (Function f : linkedFunctions()) {
            List<MemoryLayout> args = f.descriptor().argumentLayouts();
            String variables = args.stream().map(l -> "v_" + cCarrier(l)).collect(Collectors.joining(", "));
            String constantsOnly = args.stream()
                    .map(l -> l instanceof AddressLayout ? "(void *) 0" : "(" + cType(l) + ") 0")
                    .collect(Collectors.joining(", "));
            String call = f.name() + "(" + variables + ")";
            c.append("    /* ").append(f.name()).append(f.variadic() ? " (fixed arguments only) */\n" : " */\n");
            c.append("    {\n");
            c.append("#pragma GCC diagnostic push\n#pragma GCC diagnostic ignored \"-Wtraditional-conversion\"\n");
            c.append("        enum { ret_class = __builtin_classify_type(").append(call).append(") };\n");
            c.append("        printf(\"retclass:").append(f.name()).append(" %d\\n\", (int) ret_class);\n");
            if (f.descriptor().returnLayout().isPresent()) {
                c.append("        printf(\"retsize:").append(f.name()).append(" %zu\\n\", sizeof(").append(call)
                        .append("));\n");
            }
            c.append("#pragma GCC diagnostic pop\n");
            c.append("        (void) sizeof(").append(f.name()).append("(").append(constantsOnly).append("));\n");
            c.append("    }\n");
        }
        return c.append("    return 0;\n}\n").toString();
    }

    private static String cCarrier(MemoryLayout layout) {
        if (layout instanceof AddressLayout) {
            return "pointer";
        }
        return cType(layout).replace("signed ", "");
    }

    private static String cType(MemoryLayout layout) {
        if (layout instanceof ValueLayout v) {
            Class<?> carrier = v.carrier();
            if (carrier == byte.class) return "signed char";
            if (carrier == short.class) return "short";
            if (carrier == int.class) return "int";
            if (carrier == long.class) return "long";
        }
        throw new AssertionError("the function probe does not handle arguments of layout " + layout);
    }

    // ------------------------------------------------------------------------------------------
    // helpers

    private static boolean sameValue(Constant c, long gcc) {
        if (c.type() == int.class) {
            // jextract carries unsigned int macros (1U, 0x80000000U) in a Java int
            return gcc == c.value() || (gcc >= 0 && gcc <= 0xFFFF_FFFFL && (int) gcc == (int) c.value());
        }
        return gcc == c.value();
    }

    private static void compare(List<String> mismatches, String what, long java, Long gcc) {
        if (gcc == null) {
            mismatches.add(what + ": not printed by the probe");
        } else if (java != gcc) {
            mismatches.add(what + ": Java " + java + ", gcc " + gcc);
        }
    }

    private static boolean isPublicStatic(Method m) {
        return Modifier.isPublic(m.getModifiers()) && Modifier.isStatic(m.getModifiers());
    }

    private static List<String> addressProblem(Method addressMethod) {
        String name = addressMethod.getDeclaringClass() == Linux.class
                ? addressMethod.getName().replace("$address", "")
                : addressMethod.getDeclaringClass().getSimpleName();
        try {
            MemorySegment address = (MemorySegment) addressMethod.invoke(null);
            return address.equals(MemorySegment.NULL) ? List.of(name + ": NULL") : List.of();
        } catch (InvocationTargetException | ExceptionInInitializerError e) {
            return List.of(name + ": " + rootCause(e));
        } catch (IllegalAccessException e) {
            throw new AssertionError(e);
        }
    }

    private static String rootCause(Throwable t) {
        while (t.getCause() != null) {
            t = t.getCause();
        }
        return t.toString();
    }

    @SuppressWarnings("restricted") // the test runs with --enable-native-access (surefire argLine)
    private static MethodHandle capturingErrno(MemorySegment address, FunctionDescriptor descriptor) {
        return Linker.nativeLinker().downcallHandle(address, descriptor, Linker.Option.captureCallState("errno"));
    }

    private static final VarHandle ERRNO = Linker.Option.captureStateLayout()
            .varHandle(PathElement.groupElement("errno"));

    private static int errno(MemorySegment state) {
        return (int) ERRNO.get(state, 0L);
    }

    private static String errnoName(int errno) {
        MemorySegment name = Linux.strerrorname_np(errno);
        return name.equals(MemorySegment.NULL) ? "errno " + errno : name.getString(0);
    }

    /**
     * MDOCKER_PROJECT_ROOT (set by surefire to the reactor root) first; when that is not the
     * project root (a build started inside the module), walk up from it and from the working
     * directory to the first directory holding jextract/mdocker.h.
     */
    private static Path locateJextractDir() {
        List<Path> starts = new ArrayList<>();
        String env = System.getenv("MDOCKER_PROJECT_ROOT");
        if (env != null && !env.isBlank()) {
            starts.add(Path.of(env));
        }
        starts.add(Path.of("").toAbsolutePath());
        for (Path start : starts) {
            for (Path dir = start.toAbsolutePath().normalize(); dir != null; dir = dir.getParent()) {
                if (Files.isRegularFile(dir.resolve("jextract/mdocker.h"))) {
                    return dir.resolve("jextract");
                }
            }
        }
        return fail("jextract/mdocker.h not found above MDOCKER_PROJECT_ROOT=%s or the working directory %s",
                env, Path.of("").toAbsolutePath());
    }

    private static String gccVersion() throws IOException, InterruptedException {
        return run(List.of(GCC, "-dumpfullversion")).output().strip();
    }

    private static String compileAndRun(String name, String source) throws IOException, InterruptedException {
        Path c = work.resolve(name + ".c");
        Files.writeString(c, source);
        Path exe = work.resolve(name);
        Result compiled = run(List.of(GCC, "-std=gnu11", "-Wall", "-I", jextractDir.toString(),
                "-o", exe.toString(), c.toString()));
        if (compiled.exitCode() != 0) {
            fail("gcc could not compile the ABI probe %s (a constant or field the bindings have that the "
                    + "headers lack?):%n%s", c, compiled.output());
        }
        return runChecked(exe);
    }

    private static String runChecked(Path exe) throws IOException, InterruptedException {
        Result ran = run(List.of(exe.toString()));
        if (ran.exitCode() != 0) {
            fail("%s exited with %d:%n%s", exe, ran.exitCode(), ran.output());
        }
        return ran.output();
    }

    record Result(int exitCode, String output) { }

    /** Runs a command with stdout and stderr merged into a file (no pipe to fill up). */
    private static Result run(List<String> command) throws IOException, InterruptedException {
        Path output = Files.createTempFile(work, "out", ".txt");
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile());
        pb.environment().put("LC_ALL", "C"); // ASCII quotes in gcc's diagnostics
        Process process;
        try {
            process = pb.start();
        } catch (IOException e) {
            if (command.get(0).equals(GCC)) {
                return fail("gcc is not installed (or not on PATH): the ABI probe compiles the bindings' "
                        + "constants and structs with it and cannot be skipped. Install gcc and the libc "
                        + "headers (Debian/Ubuntu: apt-get install gcc libc6-dev). Cause: %s", e.getMessage());
            }
            throw e;
        }
        if (!process.waitFor(2, TimeUnit.MINUTES)) {
            process.destroyForcibly();
            fail("%s did not finish within 2 minutes", command);
        }
        return new Result(process.exitValue(), Files.readString(output, StandardCharsets.UTF_8));
    }

    private static Map<String, Long> parseKeyValues(String output) {
        Map<String, Long> values = new HashMap<>();
        for (String line : output.split("\n")) {
            String[] kv = line.trim().split(" ");
            if (kv.length == 2) {
                values.put(kv[0], Long.parseLong(kv[1]));
            }
        }
        return values;
    }
}
