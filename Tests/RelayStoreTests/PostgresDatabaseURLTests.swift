import TunnelRelay
import XCTest

/// How `--database-url` is read.
final class PostgresDatabaseURLTests: XCTestCase {
    func testFullURL() throws {
        let url = try PostgresDatabaseURL(
            parsing: "postgres://relay:s%40cret@db.example:6543/relay_prod?sslmode=verify-full&sslrootcert=/etc/ca.pem")
        XCTAssertEqual(url.host, "db.example")
        XCTAssertEqual(url.port, 6543)
        XCTAssertEqual(url.username, "relay")
        XCTAssertEqual(url.password, "s@cret")
        XCTAssertEqual(url.database, "relay_prod")
        XCTAssertEqual(url.sslMode, .verifyFull)
        XCTAssertEqual(url.rootCertificatePath, "/etc/ca.pem")
        XCTAssertEqual(url.description, "postgres://relay:***@db.example:6543/relay_prod", "the password never shows")
    }

    func testDefaults() throws {
        let url = try PostgresDatabaseURL(parsing: "postgresql://127.0.0.1")
        XCTAssertEqual(url.port, 5432)
        XCTAssertEqual(url.username, "postgres")
        XCTAssertEqual(url.database, "postgres", "the database defaults to the user's name, as in libpq")
        XCTAssertEqual(url.sslMode, .prefer)
        XCTAssertNil(url.socketDirectory)
    }

    func testUnixSocket() throws {
        let url = try PostgresDatabaseURL(parsing: "postgres:///relay?host=/var/run/postgresql")
        XCTAssertEqual(url.socketDirectory, "/var/run/postgresql")
        XCTAssertEqual(url.database, "relay")
    }

    func testRefusals() {
        XCTAssertThrowsError(try PostgresDatabaseURL(parsing: "mysql://root@localhost/db")) { error in
            XCTAssertTrue("\(error)".contains("postgres://"), "\(error)")
        }
        XCTAssertThrowsError(try PostgresDatabaseURL(parsing: "postgres://localhost/db?sslmode=sometimes")) { error in
            XCTAssertTrue("\(error)".contains("sslmode"), "\(error)")
        }
    }
}
