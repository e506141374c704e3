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
import java.lang.foreign.SequenceLayout;
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
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Checks one set of committed bindings (a jextract header class and the struct classes of its
 * package) against gcc and the C headers on the machine running the tests. Each header class has
 * a subclass naming it, its header and its filter list: {@link AbiProbeTest} (libc/Linux,
 * {@code jextract/mdocker.h}) and {@code seccomp.SeccompAbiProbeTest} (libseccomp,
 * {@code jextract/mdocker-seccomp.h}).
 *
 * <p>Nothing is listed by hand: the constants are the upper-case, no-argument {@code int}/{@code
 * long} methods of the header class, the structs are the classes of its package with a static
 * {@code layout()} returning a {@link GroupLayout} (their fields come from that layout), the
 * functions are the {@code f$descriptor()}/{@code f$address()} methods and the variadic invoker
 * classes. A C probe that includes the header is generated from them, compiled with gcc and run;
 * every mismatch is reported at once. Function signatures are checked by letting gcc compile one
 * call per function with arguments of the types the descriptor claims, and the filter list must
 * name exactly the symbols found. Without gcc the test fails: a skipped ABI check would let a
 * wrong binding through silently.
 *
 * <p>Two shapes of jextract's output get a check of their own: a flexible array member
 * ({@code cmsghdr.__cmsg_data[]}, a sequence of 0 elements, whose sizeof C refuses) is compared by
 * offset and element size; a union passed by value (bind's and sendto's transparent
 * {@code __CONST_SOCKADDR_ARG}) must be a pointer-sized union of pointers with a class of its own,
 * which gcc accepts both as that union and as a plain pointer.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class AbiProbe {

    private static final String GCC = "gcc";
    /** Upper-case macro names, and syscall numbers, which glibc spells SYS_name. */
    private static final Pattern CONSTANT_NAME = Pattern.compile("_*[A-Z][A-Z0-9_]*|SYS_[a-z0-9_]+");

    /** The generated header class (Linux, Seccomp), its jextract header and its filter list. */
    private final Class<?> headerClass;
    private final String header;
    private final String includes;
    private final String packageName;

    /** Where the probes are written and compiled: one temporary directory per header class. */
    private Path work;

    private Path jextractDir;
    private List<Constant> constants;
    private List<Struct> structs;
    private List<Function> functions;
    /** "key value" lines printed by the layout probe: const:NAME, sizeof:T, offset:T.f, ... */
    private Map<String, Long> gccLayout;

    /**
     * @param headerClass the header class jextract generated (its package holds the struct classes)
     * @param header the header in jextract/ that jextract read for it
     * @param includes the filter list in jextract/ it was generated with
     */
    protected AbiProbe(Class<?> headerClass, String header, String includes) {
        this.headerClass = headerClass;
        this.header = header;
        this.includes = includes;
        this.packageName = headerClass.getPackageName();
    }

    record Constant(String name, long value, Class<?> type) { }

    /** A struct class; cName is how C spells the type ("struct pollfd", "posix_spawnattr_t"). */
    record Struct(Class<?> type, String cName, GroupLayout layout, List<Field> fields) {
        String key() {
            return type.getSimpleName();
        }
    }

    /** path: member names from the struct down to the field (anonymous members included). */
    record Field(String name, List<String> path, MemoryLayout layout, long offset) {
        /** A flexible array member ({@code T f[];}), which jextract lays out as a sequence of 0 elements. */
        boolean flexibleArray() {
            return layout instanceof SequenceLayout seq && seq.elementCount() == 0;
        }
    }

    /** problem: why the descriptor could not be read (jextract's holder class failed to link). */
    record Function(String name, FunctionDescriptor descriptor, boolean variadic, String problem) {
        boolean linked() {
            return problem == null;
        }
    }

    @BeforeAll
    void discoverAndProbe(@TempDir Path workDir) throws Exception {
        work = workDir;
        jextractDir = locateJextractDir();
        constants = discoverConstants();
        structs = discoverStructs();
        functions = discoverFunctions();
        gccLayout = parseKeyValues(compileAndRun("layout_probe", layoutProbeSource()));
        System.out.printf("ABI probe of %s (%s): %d constants, %d structs with %d fields, %d functions%n",
                headerClass.getSimpleName(), gccVersion(), constants.size(), structs.size(),
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
        assertThat(constants).as("constants found in %s by reflection", headerClass.getSimpleName()).isNotEmpty();
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
                if (f.flexibleArray()) {
                    // C cannot take sizeof of a flexible array member; jextract gives it a sequence of
                    // 0 elements: compare the element size, and the struct's size ends before it
                    compare(mismatches, fk + ": element size", ((SequenceLayout) f.layout()).elementLayout().byteSize(),
                            gccLayout.get("elemsize:" + fk));
                    if (f.offset() > s.layout().byteSize()) {
                        mismatches.add(fk + ": flexible array member at offset " + f.offset() + " beyond sizeof "
                                + s.layout().byteSize());
                    }
                } else {
                    compare(mismatches, fk + ": size", f.layout().byteSize(), gccLayout.get("size:" + fk));
                }
                if (f.path().size() == 1) { // jextract's accessors exist for direct members
                    Method offset = s.type().getMethod(f.name() + "$offset");
                    compare(mismatches, fk + ": " + f.name() + "$offset()", (long) offset.invoke(null), gccOffset);
                    Method layout = s.type().getMethod(f.name() + "$layout");
                    compare(mismatches, fk + ": " + f.name() + "$layout().byteSize()",
                            ((MemoryLayout) layout.invoke(null)).byteSize(),
                            f.flexibleArray() ? Long.valueOf(0) : gccLayout.get("size:" + fk));
                }
            }
        }
        assertThat(structs).as("struct classes found in %s by reflection", packageName).isNotEmpty();
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
                if (args.get(i) instanceof GroupLayout group) {
                    String problem = byValueProblem(group);
                    if (problem != null) {
                        mismatches.add(f.name() + ": argument " + (i + 1) + " " + problem);
                    }
                }
                boolean expected = args.get(i) instanceof ValueLayout && !(args.get(i) instanceof AddressLayout)
                        && args.get(i).byteSize() < 4;
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
        assertThat(functions).as("functions found in %s by reflection", headerClass.getSimpleName()).isNotEmpty();
        assertThat(mismatches).as("function descriptors that differ from gcc (%d checked)", functions.size())
                .isEmpty();
    }

    @Test
    void everyFunctionSymbolResolves() throws Exception {
        List<String> unresolved = new ArrayList<>();
        for (Method m : headerClass.getDeclaredMethods()) {
            if (isPublicStatic(m) && m.getName().endsWith("$address") && m.getParameterCount() == 0) {
                unresolved.addAll(addressProblem(m));
            }
        }
        for (Class<?> invoker : variadicInvokers()) {
            unresolved.addAll(addressProblem(invoker.getMethod("address")));
        }
        assertThat(unresolved).as("functions of %s whose symbol is missing or NULL", headerClass.getSimpleName()).isEmpty();
    }

    @Test
    void includesTxtListsExactlyTheCommittedBindings() throws IOException {
        Map<String, Set<String>> listed = new HashMap<>();
        for (String line : Files.readAllLines(jextractDir.resolve(includes))) {
            String[] tokens = line.replaceAll("#.*", "").trim().split("\\s+");
            if (tokens.length == 2 && tokens[0].startsWith("--include-")) {
                listed.computeIfAbsent(tokens[0], k -> new TreeSet<>()).add(tokens[1]);
            }
        }
        Set<String> structsAndTypedefs = new TreeSet<>(listed.getOrDefault("--include-struct", Set.of()));
        structsAndTypedefs.addAll(listed.getOrDefault("--include-typedef", Set.of()));
        structsAndTypedefs.addAll(listed.getOrDefault("--include-union", Set.of()));
        assertThat(listed.getOrDefault("--include-function", Set.of())).as("--include-function lines")
                .containsExactlyInAnyOrderElementsOf(functions.stream().map(Function::name).toList());
        assertThat(listed.getOrDefault("--include-constant", Set.of())).as("--include-constant lines")
                .containsExactlyInAnyOrderElementsOf(constants.stream().map(Constant::name).toList());
        assertThat(structsAndTypedefs).as("--include-struct, --include-union and --include-typedef lines")
                .containsExactlyInAnyOrderElementsOf(structs.stream().map(Struct::key).toList());
    }

    // ------------------------------------------------------------------------------------------
    // discovery by reflection

    private List<Constant> discoverConstants() throws ReflectiveOperationException {
        List<Constant> found = new ArrayList<>();
        for (Method m : headerClass.getDeclaredMethods()) {
            Class<?> type = m.getReturnType();
            if (isPublicStatic(m) && m.getParameterCount() == 0 && (type == int.class || type == long.class)
                    && CONSTANT_NAME.matcher(m.getName()).matches()) {
                found.add(new Constant(m.getName(), ((Number) m.invoke(null)).longValue(), type));
            }
        }
        found.sort(Comparator.comparing(Constant::name));
        return found;
    }

    private List<Struct> discoverStructs() throws Exception {
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
    private String cName(Class<?> type, GroupLayout layout) {
        String name = layout.name().orElse("$anon$");
        if (name.startsWith("$anon$")) {
            return type.getSimpleName();
        }
        return (layout instanceof UnionLayout ? "union " : "struct ") + name;
    }

    /** Fields of anonymous nested structs/unions are reached in C as if they were direct members. */
    private void collectFields(GroupLayout root, List<String> prefix, GroupLayout group, List<Field> out) {
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

    private List<Function> discoverFunctions() throws ReflectiveOperationException {
        List<Function> found = new ArrayList<>();
        for (Method m : headerClass.getDeclaredMethods()) {
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

    private List<Function> linkedFunctions() {
        return functions.stream().filter(Function::linked).toList();
    }

    private List<Class<?>> variadicInvokers() {
        return Arrays.stream(headerClass.getDeclaredClasses())
                .filter(c -> Modifier.isPublic(c.getModifiers()) && Modifier.isStatic(c.getModifiers()))
                .filter(c -> Arrays.stream(c.getDeclaredMethods())
                        .anyMatch(m -> m.getName().equals("makeInvoker") && isPublicStatic(m)))
                .sorted(Comparator.comparing(Class::getSimpleName))
                .toList();
    }

    /** The top-level classes compiled into this package (a directory under surefire, or a jar). */
    private List<Class<?>> classesOfThisPackage() throws IOException, URISyntaxException,
            ClassNotFoundException {
        Path location = Path.of(headerClass.getProtectionDomain().getCodeSource().getLocation().toURI());
        String dir = packageName.replace('.', '/') + "/";
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
                classes.add(Class.forName(packageName + "." + file.substring(0, file.length() - ".class".length())));
            }
        }
        return classes;
    }

    // ------------------------------------------------------------------------------------------
    // the C probes

    private String layoutProbeSource() {
        StringBuilder c = new StringBuilder("""
                /* Generated by AbiProbeTest: what gcc says about the bindings' constants and structs. */
                #include "%HEADER%"
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
                if (f.flexibleArray()) { // sizeof of the member itself does not compile
                    c.append("    printf(\"elemsize:%s %zu\\n\", \"").append(key).append("\", sizeof(((").append(t)
                            .append(" *) 0)->").append(f.name()).append("[0]));\n");
                } else {
                    c.append("    printf(\"size:%s %zu\\n\", \"").append(key).append("\", sizeof(((").append(t)
                            .append(" *) 0)->").append(f.name()).append("));\n");
                }
            }
        }
        return c.append("    return 0;\n}\n").toString().replace("%HEADER%", header);
    }

    /**
     * Two calls per function, never evaluated (inside sizeof and enum constants): one with
     * variables of the descriptor's carrier types, where a pointer/integer mix-up is an
     * int-conversion error; one with constants of those types, where -Wtraditional-conversion
     * names each argument whose width the real prototype changes.
     */
    private String functionProbeSource() {
        StringBuilder c = new StringBuilder("""
                /* Generated by AbiProbeTest: gcc checks calls built from the bindings' descriptors. */
                #include "%HEADER%"
                #include <stdio.h>

                static signed char v_char; static short v_short; static int v_int; static long v_long;
                static void *v_pointer;

                int main(void) {
                """);
        for (Function f : linkedFunctions()) {
            List<MemoryLayout> args = f.descriptor().argumentLayouts();
            // A union passed by value (a transparent union such as __CONST_SOCKADDR_ARG): gcc must
            // accept a value of that union type, which a plain pointer parameter would reject, and
            // a plain pointer in the second call, which only a transparent union (or a pointer)
            // accepts; byValueProblem checks that it holds nothing but pointers.
            String variables = args.stream()
                    .map(l -> l instanceof GroupLayout g ? byValueLiteral(g) : "v_" + cCarrier(l))
                    .collect(Collectors.joining(", "));
            String constantsOnly = args.stream()
                    .map(l -> l instanceof AddressLayout || l instanceof GroupLayout ? "(void *) 0" : "(" + cType(l) + ") 0")
                    .collect(Collectors.joining(", "));
            String call = f.name() + "(" + variables + ")";
            c.append("    /* ").append(f.name()).append(f.variadic() ? " (fixed arguments only) */\n" : " */\n");
            c.append("    {\n");
            c.append("#pragma GCC diagnostic push\n#pragma GCC diagnostic ignored \"-Wtraditional-conversion\"\n");
            if (f.descriptor().returnLayout().isPresent()) {
                c.append("        enum { ret_class = __builtin_classify_type(").append(call).append(") };\n");
            } else { // a void expression has no type class; 0 is void_type_class
                c.append("        enum { ret_class = __builtin_types_compatible_p(__typeof__(").append(call)
                        .append("), void) ? 0 : -1 };\n");
            }
            c.append("        printf(\"retclass:").append(f.name()).append(" %d\\n\", (int) ret_class);\n");
            if (f.descriptor().returnLayout().isPresent()) {
                c.append("        printf(\"retsize:").append(f.name()).append(" %zu\\n\", sizeof(").append(call)
                        .append("));\n");
            }
            c.append("#pragma GCC diagnostic pop\n");
            c.append("        (void) sizeof(").append(f.name()).append("(").append(constantsOnly).append("));\n");
            c.append("    }\n");
        }
        return c.append("    return 0;\n}\n").toString().replace("%HEADER%", header);
    }

    /** The struct class whose layout a by-value argument is, or null. */
    private Struct structOf(GroupLayout layout) {
        return structs.stream().filter(s -> s.layout().equals(layout)).findFirst().orElse(null);
    }

    /** A zero value of a by-value union argument, as a C compound literal. */
    private String byValueLiteral(GroupLayout layout) {
        Struct s = structOf(layout);
        return s == null ? "v_pointer" : "(" + s.cName() + ") {0}";
    }

    /**
     * Why a struct or union passed by value is not one the bindings may pass: only transparent
     * unions of pointers are (glibc's __CONST_SOCKADDR_ARG), which the C ABI passes as their
     * first member, a pointer, and the Linker passes a pointer-sized union of pointers the same
     * way (one integer register on x86-64 and AArch64). Null when it is one.
     */
    private String byValueProblem(GroupLayout layout) {
        if (!(layout instanceof UnionLayout)) {
            return "is a struct passed by value (" + layout + "): the probe checks only transparent unions of pointers";
        }
        if (layout.byteSize() != ValueLayout.ADDRESS.byteSize()
                || !layout.memberLayouts().stream().allMatch(m -> m instanceof AddressLayout)) {
            return "is a union passed by value that is not pointer-sized with pointer members only (" + layout + ")";
        }
        if (structOf(layout) == null) {
            return "is a union passed by value without its own class in " + packageName
                    + " (add its --include-typedef): the probe cannot name its C type";
        }
        return null;
    }

    private String cCarrier(MemoryLayout layout) {
        if (layout instanceof AddressLayout) {
            return "pointer";
        }
        return cType(layout).replace("signed ", "");
    }

    private String cType(MemoryLayout layout) {
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

    private boolean sameValue(Constant c, long gcc) {
        if (c.type() == int.class) {
            // jextract carries unsigned int macros (1U, 0x80000000U) in a Java int
            return gcc == c.value() || (gcc >= 0 && gcc <= 0xFFFF_FFFFL && (int) gcc == (int) c.value());
        }
        return gcc == c.value();
    }

    private void compare(List<String> mismatches, String what, long java, Long gcc) {
        if (gcc == null) {
            mismatches.add(what + ": not printed by the probe");
        } else if (java != gcc) {
            mismatches.add(what + ": Java " + java + ", gcc " + gcc);
        }
    }

    private boolean isPublicStatic(Method m) {
        return Modifier.isPublic(m.getModifiers()) && Modifier.isStatic(m.getModifiers());
    }

    private List<String> addressProblem(Method addressMethod) {
        String name = addressMethod.getDeclaringClass() == headerClass
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

    private String rootCause(Throwable t) {
        while (t.getCause() != null) {
            t = t.getCause();
        }
        return t.toString();
    }

    /**
     * MDOCKER_PROJECT_ROOT (set by surefire to the reactor root) first; when that is not the
     * project root (a build started inside the module), walk up from it and from the working
     * directory to the first directory holding jextract/mdocker.h.
     */
    private Path locateJextractDir() {
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

    private String gccVersion() throws IOException, InterruptedException {
        return run(List.of(GCC, "-dumpfullversion")).output().strip();
    }

    private String compileAndRun(String name, String source) throws IOException, InterruptedException {
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

    private String runChecked(Path exe) throws IOException, InterruptedException {
        Result ran = run(List.of(exe.toString()));
        if (ran.exitCode() != 0) {
            fail("%s exited with %d:%n%s", exe, ran.exitCode(), ran.output());
        }
        return ran.output();
    }

    record Result(int exitCode, String output) { }

    /** Runs a command with stdout and stderr merged into a file (no pipe to fill up). */
    private Result run(List<String> command) throws IOException, InterruptedException {
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

    private Map<String, Long> parseKeyValues(String output) {
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
