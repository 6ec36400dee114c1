@524B-b-3 @touches:firmware
Feature: Every firmware image ships an SBOM, and the device reports it
  FD&C 524B(b)(3) requires a software bill of materials for cyber devices.
  The SBOM travels with each image as signed metadata; an image without
  one is refused, and the device reports the SBOM of what it runs, with
  the date its support ends.

  Background:
    Given a biomed account "ravi.patel"
    And "ravi.patel" is logged in

  Scenario: The running firmware's SBOM is present and describes it
    Given the device reports a CycloneDX SBOM for its running firmware, with its end of support
    And the maker publishes a newer signed image
    When "ravi.patel" installs the update
    Then the device runs the new firmware
    And the device reports a CycloneDX SBOM for its running firmware, with its end of support

  Scenario: An image without an SBOM is refused
    Given the maker publishes a newer signed image without an SBOM
    When "ravi.patel" tries to install the update
    Then the device refuses the update as "no-sbom"
    And the device still runs the firmware it ran before
