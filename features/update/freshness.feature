@FDA-PMC-UPD-2 @touches:firmware
Feature: Expired update metadata is refused
  A mirror that keeps serving old metadata can freeze a device on
  vulnerable firmware (TUF's indefinite-freeze attack). Metadata carries
  an expiry date; the device must refuse expired metadata on its own clock
  and report that it cannot update (FDA premarket guidance, Appendix 1, H).

  Background:
    Given a biomed account "ravi.patel"
    And "ravi.patel" is logged in

  Scenario: A newer image behind expired metadata is refused and reported
    Given a frozen mirror serves a newer signed image with metadata that expired an hour ago
    When "ravi.patel" tries to install the update
    Then the device refuses the update as "expired"
    And the device still runs the firmware it ran before
    And the device reports that it could not update because "expired"
