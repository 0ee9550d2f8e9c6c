#!/usr/bin/env bash
# Build a runnable Apicurio Registry 3.0.9 (in-memory H2 storage, Confluent-compatible API at /apis/ccompat/v7)
# from Maven Central artifacts only, no Docker. dev/stack.py runs this once per machine (output cached).
# Needs: JDK 17+ (javac, jar), mvn, curl, unzip.  Usage: dev/registry/build.sh OUT_DIR
# Output: OUT_DIR/target/apicurio-runner-1-runner.jar (+ OUT_DIR/target/lib/). Env MVN_ARGS: extra mvn flags.
set -euo pipefail
OUT=${1:?usage: build.sh OUT_DIR}
mkdir -p "$OUT"; OUT=$(cd "$OUT" && pwd)
C=https://repo.maven.apache.org/maven2
PATCH=$OUT/patch-repo
mkdir -p "$OUT" "$PATCH"
fetch() { curl -fsS --retry 3 -o "$2" "$1"; }

# copy G:A at version SRC into the patch repo as version DST (pom version rewritten; jar copied if WITHJAR=1)
substitute() {
  local g=$1 a=$2 src=$3 dst=$4 withjar=$5 gp=${1//.//}
  local d=$PATCH/$gp/$a/$dst
  [ -f "$d/$a-$dst.pom" ] && return 0
  mkdir -p "$d"
  fetch "$C/$gp/$a/$src/$a-$src.pom" "$d/$a-$dst.pom.tmp"
  sed "s#<version>$src</version>#<version>$dst</version>#g" "$d/$a-$dst.pom.tmp" > "$d/$a-$dst.pom" && rm "$d/$a-$dst.pom.tmp"
  if [ "$withjar" = 1 ]; then fetch "$C/$gp/$a/$src/$a-$src.jar" "$d/$a-$dst.jar"; fi
}

# 1) Artifacts this machine's Maven Central mirror does not serve, replaced by the nearest served version.
substitute io.apicurio apicurio-registry                        3.0.7 3.0.9 0   # parent POM (dependency management)
substitute io.apicurio apicurio-registry-config-index-deployment 3.0.6 3.0.9 1
for a in quarkus-elytron-security-deployment quarkus-elytron-security-properties-file-deployment \
         quarkus-flyway-mssql quarkus-flyway-mysql quarkus-jdbc-mssql-deployment quarkus-jdbc-mysql-deployment \
         quarkus-resteasy-client-jackson-deployment quarkus-smallrye-jwt-deployment; do
  substitute io.quarkus $a 3.15.3 3.15.4 1
done
substitute io.quarkus quarkus-devservices-mssql 3.15.2 3.15.4 1
substitute io.quarkus quarkus-devservices-mysql 3.15.1 3.15.4 1

# 2) apicurio-registry-config-definitions 3.0.9 is not served; 3.0.6 is, but 3.0.9 changed @Info.category
#    from String to the enum ConfigPropertyCategory. Rebuild 3.0.6 with those two types in their 3.0.9 shape.
CD=$PATCH/io/apicurio/apicurio-registry-config-definitions/3.0.9
if [ ! -f "$CD/apicurio-registry-config-definitions-3.0.9.jar" ]; then
  W=$(mktemp -d); mkdir -p "$W/src/io/apicurio/common/apps/config" "$W/classes" "$W/jar" "$CD"
  fetch "$C/io/apicurio/apicurio-registry-config-definitions/3.0.6/apicurio-registry-config-definitions-3.0.6.jar" "$W/cd.jar"
  fetch "$C/jakarta/enterprise/jakarta.enterprise.cdi-api/4.1.0/jakarta.enterprise.cdi-api-4.1.0.jar" "$W/cdi.jar"
  cat > "$W/src/io/apicurio/common/apps/config/ConfigPropertyCategory.java" <<'JAVA'
package io.apicurio.common.apps.config;
public enum ConfigPropertyCategory {
    CATEGORY_API("api"), CATEGORY_AUTH("auth"), CATEGORY_CACHE("cache"), CATEGORY_CCOMPAT("ccompat"),
    CATEGORY_DOWNLOAD("download"), CATEGORY_GITOPS("gitops"), CATEGORY_HEALTH("health"),
    CATEGORY_HIDDEN("hidden"), CATEGORY_IMPORT("import"), CATEGORY_LIMITS("limits"),
    CATEGORY_REDIRECTS("redirects"), CATEGORY_REST("rest"), CATEGORY_SEMVER("semver"),
    CATEGORY_STORAGE("storage"), CATEGORY_SYSTEM("system"), CATEGORY_UI("ui");
    private final String raw;
    ConfigPropertyCategory(String raw) { this.raw = raw; }
    public String getRawValue() { return raw; }
}
JAVA
  cat > "$W/src/io/apicurio/common/apps/config/Info.java" <<'JAVA'
package io.apicurio.common.apps.config;
import jakarta.enterprise.util.Nonbinding;
import java.lang.annotation.*;
@Documented @Retention(RetentionPolicy.RUNTIME) @Target({ElementType.FIELD, ElementType.METHOD})
public @interface Info {
    @Nonbinding ConfigPropertyCategory category();
    @Nonbinding String description() default "";
    @Nonbinding String availableSince() default "";
    @Nonbinding String registryAvailableSince() default "";
    @Nonbinding String studioAvailableSince() default "";
    @Nonbinding String[] seeAlso() default {};
    @Nonbinding String[] dependsOn() default {};
}
JAVA
  javac --release 17 -nowarn -cp "$W/cdi.jar" -d "$W/classes" "$W"/src/io/apicurio/common/apps/config/*.java
  (cd "$W/jar" && unzip -q "$W/cd.jar" && rm -f META-INF/jandex.idx && cp "$W"/classes/io/apicurio/common/apps/config/*.class io/apicurio/common/apps/config/)
  sed 's#<version>3.0.6</version>#<version>3.0.9</version>#' "$W/jar/META-INF/maven/io.apicurio/apicurio-registry-config-definitions/pom.xml" > "$CD/apicurio-registry-config-definitions-3.0.9.pom"
  jar cf "$CD/apicurio-registry-config-definitions-3.0.9.jar" -C "$W/jar" .
  rm -rf "$W"
fi

# 3) Maven settings: send every remote repository (the parent POM adds repo.eclipse.org and
#    packages.confluent.io, unreachable here) to Central.
cat > "$OUT/settings.xml" <<'XML'
<settings>
  <mirrors>
    <mirror><id>central</id><mirrorOf>external:*</mirrorOf><url>https://repo.maven.apache.org/maven2</url></mirror>
  </mirrors>
</settings>
XML

# 4) A Quarkus application whose only dependency is the registry app; quarkus-maven-plugin re-runs
#    the build-time augmentation that the published thin jar lacks.
mkdir -p "$OUT/src/main/resources/META-INF"
echo 'quarkus.native.builder-image=mandrel' > "$OUT/src/main/resources/META-INF/microprofile-config.properties"
cat > "$OUT/pom.xml" <<XML
<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0"
         xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
         xsi:schemaLocation="http://maven.apache.org/POM/4.0.0 http://maven.apache.org/xsd/maven-4.0.0.xsd">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.signalbox</groupId>
  <artifactId>apicurio-runner</artifactId>
  <version>1</version>
  <packaging>jar</packaging>
  <properties>
    <apicurio.version>3.0.9</apicurio.version>
    <quarkus.plugin.version>3.15.4</quarkus.plugin.version>
    <project.build.sourceEncoding>UTF-8</project.build.sourceEncoding>
  </properties>
  <repositories>
    <repository>
      <id>patch</id>
      <url>file://$PATCH</url>
      <releases><updatePolicy>always</updatePolicy></releases>
    </repository>
  </repositories>
  <dependencyManagement>
    <dependencies>
      <!-- not served at 3.0.9 here: nearest served versions -->
      <dependency><groupId>io.apicurio</groupId><artifactId>apicurio-registry-utils-kafka</artifactId><version>2.6.13.Final</version></dependency>
      <dependency><groupId>io.apicurio</groupId><artifactId>apicurio-registry-protobuf-schema-utilities</artifactId><version>3.0.7</version></dependency>
      <!-- Apicurio's own dependency management (imports quarkus-bom 3.15.4) -->
      <dependency><groupId>io.apicurio</groupId><artifactId>apicurio-registry</artifactId><version>\${apicurio.version}</version><type>pom</type><scope>import</scope></dependency>
    </dependencies>
  </dependencyManagement>
  <dependencies>
    <dependency>
      <groupId>io.apicurio</groupId>
      <artifactId>apicurio-registry-app</artifactId>
      <version>\${apicurio.version}</version>
    </dependency>
  </dependencies>
  <build>
    <plugins>
      <plugin>
        <groupId>io.quarkus</groupId>
        <artifactId>quarkus-maven-plugin</artifactId>
        <version>\${quarkus.plugin.version}</version>
        <executions><execution><goals><goal>build</goal></goals></execution></executions>
      </plugin>
    </plugins>
  </build>
</project>
XML

cd "$OUT"
mvn -B -q -s settings.xml ${MVN_ARGS:-} package
echo "built: $OUT/target/apicurio-runner-1-runner.jar"
