package io.mdocker;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.domain.JavaCodeUnit;
import com.tngtech.archunit.core.domain.JavaField;
import com.tngtech.archunit.core.domain.JavaModifier;
import com.tngtech.archunit.core.domain.JavaType;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchCondition;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.ConditionEvents;
import com.tngtech.archunit.lang.SimpleConditionEvent;
import com.tngtech.archunit.library.dependencies.SliceAssignment;
import com.tngtech.archunit.library.dependencies.SliceIdentifier;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The layers of mdocker-core, as rules on its compiled classes (tests excluded):
 * <pre>
 * io.mdocker (API)  ->  io.mdocker.internal.run (engine)  ->  io.mdocker.internal.* (concerns)  ->  bindings
 * </pre>
 * Arrows point down only; no package cycle anywhere; the internals use the API's plain values
 * (records, enums, exceptions) and nothing else of it; no public signature of the API names an
 * internal or bindings type.
 */
class ArchitectureTest {
    private static JavaClasses core;

    @BeforeAll
    static void importCore() {
        core = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("io.mdocker");
        // the rules below would pass on nothing: make sure the import saw the code
        assertThat(core.stream().filter(c -> c.getPackageName().startsWith("io.mdocker.internal.run")).count())
                .isGreaterThan(5);
        assertThat(core.contain(Container.class)).isTrue();
    }

    /** Each package a slice of its own, the API's root package included. */
    private static final SliceAssignment BY_PACKAGE = new SliceAssignment() {
        @Override
        public SliceIdentifier getIdentifierOf(JavaClass c) {
            return c.getPackageName().startsWith("io.mdocker")
                    ? SliceIdentifier.of(c.getPackageName()) : SliceIdentifier.ignore();
        }

        @Override
        public String getDescription() {
            return "packages of io.mdocker";
        }
    };

    /**
     * No cycle between packages. The API's plain values (records, enums, exceptions) are used by
     * every layer, as the design allows; a dependency on one of them does not count, any other does.
     */
    @Test
    void noPackageCycles() {
        slices().assignedFrom(BY_PACKAGE).should().beFreeOfCycles()
                .ignoreDependency(DescribedPredicate.alwaysTrue(), IN_API.and(API_VALUE))
                .check(core);
    }

    /** A plain value of the API: a record, an enum or an exception, which any layer may use. */
    private static final DescribedPredicate<JavaClass> API_VALUE = DescribedPredicate.describe(
            "records, enums and exceptions of io.mdocker", c -> {
                JavaClass top = c.isNestedClass() ? c.getEnclosingClass().orElseThrow() : c;
                return top.isRecord() || top.isEnum() || top.isAssignableTo(Throwable.class);
            });

    private static final DescribedPredicate<JavaClass> IN_API = DescribedPredicate.describe("in io.mdocker",
            c -> c.getPackageName().equals("io.mdocker"));

    @Test
    void internalsUseOnlyTheApisPlainValues() {
        noClasses().that().resideInAPackage("io.mdocker.internal..")
                .should().dependOnClassesThat(IN_API.and(DescribedPredicate.not(API_VALUE)))
                .check(core);
    }

    @Test
    void theEngineIsAboveTheConcerns() {
        noClasses().that().resideInAPackage("io.mdocker.internal..")
                .and().resideOutsideOfPackage("io.mdocker.internal.run..")
                .should().dependOnClassesThat().resideInAPackage("io.mdocker.internal.run..")
                .check(core);
    }

    @Test
    void theApiAndTheEngineReachTheKernelThroughTheInternals() {
        noClasses().that().resideInAnyPackage("io.mdocker", "io.mdocker.internal.run..")
                .should().dependOnClassesThat().resideInAPackage("io.mdocker.bindings..")
                .check(core);
    }

    @Test
    void theFacadeOverTheBindingsUsesNoOtherInternals() {
        noClasses().that().resideInAPackage("io.mdocker.internal.sys..")
                .should().dependOnClassesThat().resideInAnyPackage("io.mdocker.internal.run..", "io.mdocker.internal.net..",
                        "io.mdocker.internal.cgroup..", "io.mdocker.internal.fs..", "io.mdocker.internal.process..",
                        "io.mdocker.internal.security..", "io.mdocker.internal.state..")
                .check(core);
    }

    private static final Set<String> HIDDEN = Set.of("io.mdocker.internal", "io.mdocker.bindings");

    private static boolean hidden(JavaClass c) {
        return HIDDEN.stream().anyMatch(p -> c.getPackageName().equals(p) || c.getPackageName().startsWith(p + "."));
    }

    /** Public and protected members of the API's public classes, and the types they name. */
    private static final ArchCondition<JavaClass> NAME_NO_HIDDEN_TYPE = new ArchCondition<>(
            "name no internal or bindings type in a public signature") {
        @Override
        public void check(JavaClass c, ConditionEvents events) {
            List<String> found = new ArrayList<>();
            List<JavaType> supertypes = new ArrayList<>(c.getInterfaces());
            c.getSuperclass().ifPresent(supertypes::add);
            for (JavaType t : supertypes) {
                t.getAllInvolvedRawTypes().stream().filter(ArchitectureTest::hidden)
                        .forEach(h -> found.add(c.getName() + " extends " + h.getName()));
            }
            for (JavaCodeUnit m : c.getCodeUnits()) {
                if (!exposed(m.getModifiers())) {
                    continue;
                }
                List<JavaType> types = new ArrayList<>(m.getParameterTypes());
                types.add(m.getReturnType());
                types.addAll(m.getThrowsClause().getTypes());
                for (JavaType t : types) {
                    t.getAllInvolvedRawTypes().stream().filter(ArchitectureTest::hidden)
                            .forEach(h -> found.add(m.getFullName() + " names " + h.getName()));
                }
            }
            for (JavaField f : c.getFields()) {
                if (exposed(f.getModifiers())) {
                    f.getType().getAllInvolvedRawTypes().stream().filter(ArchitectureTest::hidden)
                            .forEach(h -> found.add(f.getFullName() + " is a " + h.getName()));
                }
            }
            for (String s : found) {
                events.add(SimpleConditionEvent.violated(c, s));
            }
        }
    };

    private static boolean exposed(Set<JavaModifier> modifiers) {
        return modifiers.contains(JavaModifier.PUBLIC) || modifiers.contains(JavaModifier.PROTECTED);
    }

    @Test
    void noPublicSignatureNamesAnInternalType() {
        ArchRule rule = classes().that().resideInAPackage("io.mdocker").and().arePublic()
                .should(NAME_NO_HIDDEN_TYPE);
        rule.check(core);
    }

    @Test
    void theRuleCanFail() {
        // A public signature that names an internal type: the condition must see it.
        JavaClasses bad = new ClassFileImporter().importClasses(Leaky.class);
        assertThat(classes().should(NAME_NO_HIDDEN_TYPE).evaluate(bad).hasViolation()).isTrue();
        assertThat(noClasses().should().dependOnClassesThat().resideInAPackage("io.mdocker.internal.run..")
                .evaluate(bad).hasViolation()).isTrue();
    }

    /** A counter-example for {@link #theRuleCanFail()}. */
    public static final class Leaky {
        public io.mdocker.internal.run.Spec spec() {
            return null;
        }
    }
}
