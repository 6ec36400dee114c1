# MDS2: the Manufacturer Disclosure Statement for Medical Device Security,
# ANSI/NEMA HN 1-2019, mapped to the evidence Ward collects. pkg/mds2 reads
# this file (`ward mds2 fill`, `ward mds2 check`, `ward mds2 lint`); the
# catalogue loader skips mds2_form blocks. See docs/mds2.md.
#
# Question ids are the form's (section code and number), in the form's
# order; they were checked, section by section, against a maker's completed
# HN 1-2019 form published in a public repository, and
# pkg/mds2/testdata/hn1-2019-ids.txt holds that list (a test keeps this file
# to it). The question texts are our own short paraphrases, not NEMA's
# wording: the id is what ties a row to the form. Section OTHR holds only
# notes on the form and has no numbered questions.
#
# Each question is answered in exactly one way:
#   controls = [...]  from the outcomes of these controls on the target, by
#                     rule (default "protection"):
#     protection  Yes when every control is satisfied, No when any is
#                 not satisfied (the question asks whether a protection is
#                 there, so Yes is the secure answer);
#     inverted    the question asks whether a weakness is there: No when
#                 every control is satisfied, Yes when any is not satisfied;
#     sufficient  the controls check more than the question asks, so their
#                 success shows Yes but their failure may have another
#                 cause: Yes when every control is satisfied, otherwise
#                 unanswered (with the failing control, for the maker);
#     present     the question asks whether the device has a function:
#                 Yes when every control was assessed (satisfied or not
#                 satisfied: the checks exercised the function), never No.
#                 Any other outcome (not applicable, not assessed, waived,
#                 error, missing) leaves the question unanswered, with the
#                 reason, for the maker: never Yes from a doubt.
#   observe = "..."   Yes when the evidence shows it ("network-service": Ward
#                     reached a network service; "tls-service": a service
#                     presented a certificate in a TLS handshake; "documented-ports": the
#                     device documents its ports); otherwise unanswered,
#                     since not seeing something does not prove it absent.
#   identity = "..."  the text the device reported ("manufacturer", "model").
#   manual = "..."    Ward cannot answer from evidence; the text says why.

mds2_form "hn1-2019" {
  standard = "ANSI/NEMA HN 1-2019"
  title    = "Manufacturer Disclosure Statement for Medical Device Security (MDS2)"

  section "DOC" {
    title = "Device description"

    question "DOC-1" {
      text     = "Manufacturer's name"
      identity = "manufacturer"
    }

    question "DOC-2" {
      text   = "Description of the device"
      manual = "A statement about the maker or the document, not about the device's behaviour"
    }

    question "DOC-3" {
      text     = "Device model"
      identity = "model"
    }

    question "DOC-4" {
      text   = "Identifier of this disclosure document"
      manual = "A statement about the maker or the document, not about the device's behaviour"
    }

    question "DOC-5" {
      text   = "How to contact the manufacturer"
      manual = "A statement about the maker or the document, not about the device's behaviour"
    }

    question "DOC-6" {
      text   = "Intended use of the device in a network-connected environment"
      manual = "A statement about the maker or the document, not about the device's behaviour"
    }

    question "DOC-7" {
      text   = "Release date of this document"
      manual = "A statement about the maker or the document, not about the device's behaviour"
    }

    question "DOC-8" {
      text   = "Does the manufacturer run a coordinated vulnerability disclosure programme?"
      manual = "About the maker's processes or documentation, which no device test shows"
    }

    question "DOC-9" {
      text   = "Is the manufacturer a member of an information sharing and analysis organisation (ISAO)?"
      manual = "About the maker's processes or documentation, which no device test shows"
    }

    question "DOC-10" {
      text   = "Is a network or data flow diagram of the device available?"
      manual = "About the maker's processes or documentation, which no device test shows"
    }

    question "DOC-11" {
      text   = "Is the device software only (Software as a Medical Device)?"
      manual = "About the device's hardware or physical form, which Ward's drivers do not observe"
    }

    question "DOC-11.1" {
      text   = "Does the SaMD contain an operating system?"
      manual = "Ward does not inventory the device's operating system, drivers or third-party components by class"
    }

    question "DOC-11.2" {
      text   = "Does the SaMD rely on an operating system the owner provides?"
      manual = "Ward does not inventory the device's operating system, drivers or third-party components by class"
    }

    question "DOC-11.3" {
      text   = "Does the manufacturer host the SaMD?"
      manual = "A statement about the maker or the document, not about the device's behaviour"
    }

    question "DOC-11.4" {
      text   = "Does the customer host the SaMD?"
      manual = "A statement about the maker or the document, not about the device's behaviour"
    }
  }

  section "MPII" {
    title = "Management of personally identifiable information"

    question "MPII-1" {
      text     = "Can the device display, send, store or change personally identifiable information (such as ePHI)?"
      controls = ["HIPAA-164.312-a-2-iv"]
      rule     = "present"
      note     = "The at-rest check stores a patient record through the device's own interface"
    }

    question "MPII-2" {
      text     = "Does the device keep personally identifiable information?"
      controls = ["HIPAA-164.312-a-2-iv"]
      rule     = "present"
    }

    question "MPII-2.1" {
      text   = "Is it kept only for a while in volatile memory until cleared?"
      manual = "Ward reads stored bytes, not volatile memory"
    }

    question "MPII-2.2" {
      text     = "Is it stored persistently on internal media?"
      controls = ["HIPAA-164.312-a-2-iv"]
      rule     = "present"
      note     = "The at-rest check finds the record it stored in a copy of the device's raw storage (sealed or not)"
    }

    question "MPII-2.3" {
      text   = "Is it kept in non-volatile memory until explicitly erased?"
      manual = "Ward does not test how long data stays"
    }

    question "MPII-2.4" {
      text   = "Is it stored in a database?"
      manual = "Ward sees stored bytes, not how they are organised"
    }

    question "MPII-2.5" {
      text   = "Can the device be set to delete local copies once they reach long-term storage?"
      manual = "About what the owner can configure; Ward tests the configuration it finds, not the range of settings offered"
    }

    question "MPII-2.6" {
      text     = "Does the device import or export personally identifiable information with other systems?"
      controls = ["HIPAA-164.312-e-2-i"]
      rule     = "present"
      note     = "The transmission-integrity check sends HL7 orders to the device"
    }

    question "MPII-2.7" {
      text   = "Is it kept while the device is powered off or during a power interruption?"
      manual = "Ward does not cut a real device's power"
    }

    question "MPII-2.8" {
      text   = "Can a service technician remove the internal media (for destruction or retention)?"
      manual = "About the device's hardware or physical form, which Ward's drivers do not observe"
    }

    question "MPII-2.9" {
      text   = "Can the records be stored apart from the operating system (another drive, partition or remote store)?"
      manual = "About what the owner can configure; Ward tests the configuration it finds, not the range of settings offered"
    }

    question "MPII-3" {
      text     = "Does the device have ways to send, receive, import or export personally identifiable information?"
      controls = ["HIPAA-164.312-e-2-i"]
      rule     = "present"
    }

    question "MPII-3.1" {
      text   = "Does it show such information on a display?"
      manual = "About the device's hardware or physical form, which Ward's drivers do not observe"
    }

    question "MPII-3.2" {
      text   = "Does it print reports or images holding such information?"
      manual = "About the device's hardware or physical form, which Ward's drivers do not observe"
    }

    question "MPII-3.3" {
      text   = "Does it read or write such information on removable media?"
      manual = "Ward cannot tell this interface or medium from the network services it sees"
    }

    question "MPII-3.4" {
      text   = "Does it exchange such information over a dedicated cable (serial, USB and the like)?"
      manual = "Ward cannot tell this interface or medium from the network services it sees"
    }

    question "MPII-3.5" {
      text   = "Does it exchange such information over a wired network?"
      manual = "Ward cannot tell this interface or medium from the network services it sees"
    }

    question "MPII-3.6" {
      text   = "Does it exchange such information over a wireless link (Wi-Fi, Bluetooth, NFC, infrared, cellular)?"
      manual = "Ward cannot tell this interface or medium from the network services it sees"
    }

    question "MPII-3.7" {
      text   = "Does it exchange such information over an external network such as the internet?"
      manual = "Ward cannot tell this interface or medium from the network services it sees"
    }

    question "MPII-3.8" {
      text   = "Does it import such information by scanning documents?"
      manual = "About the device's hardware or physical form, which Ward's drivers do not observe"
    }

    question "MPII-3.9" {
      text   = "Does it exchange such information over a proprietary protocol?"
      manual = "Ward cannot tell this interface or medium from the network services it sees"
    }

    question "MPII-3.10" {
      text   = "Does it use any other way to send, import or export such information?"
      manual = "Ward cannot tell this interface or medium from the network services it sees"
    }
  }

  section "ALOF" {
    title = "Automatic logoff"

    question "ALOF-1" {
      text     = "Can the device force a logged-in user to authenticate again after a set time without activity (logoff, session lock, locked screen saver)?"
      controls = ["HIPAA-164.312-a-2-iii"]
    }

    question "ALOF-2" {
      text   = "Can a user or administrator set the length of inactivity before the logoff or lock?"
      manual = "About what the owner can configure; Ward tests the configuration it finds, not the range of settings offered"
    }
  }

  section "AUDT" {
    title = "Audit controls"

    question "AUDT-1" {
      text     = "Can the device keep audit logs or reports of its own, beyond those of its operating system?"
      controls = ["HIPAA-164.312-b"]
      rule     = "sufficient"
    }

    question "AUDT-1.1" {
      text     = "Does the audit log record a user id?"
      controls = ["HIPAA-164.312-b"]
      rule     = "sufficient"
      note     = "The audit-controls check requires every record to name its actor"
    }

    question "AUDT-1.2" {
      text   = "Does other personally identifiable information appear in the audit trail?"
      manual = "Ward searches the trail for secrets (FDA-PMC-CONF-1), not for patient data"
    }

    question "AUDT-2" {
      text     = "Are events recorded in an audit log?"
      controls = ["HIPAA-164.312-b"]
      rule     = "sufficient"
    }

    question "AUDT-2.1" {
      text     = "Are successful logins and logouts recorded?"
      controls = ["HIPAA-164.312-b"]
      rule     = "sufficient"
    }

    question "AUDT-2.2" {
      text     = "Are unsuccessful logins recorded?"
      controls = ["HIPAA-164.308-a-5-ii-C"]
      rule     = "sufficient"
    }

    question "AUDT-2.3" {
      text     = "Are changes to user privileges recorded?"
      controls = ["HIPAA-164.312-b"]
      rule     = "sufficient"
    }

    question "AUDT-2.4" {
      text     = "Are the creation, change and deletion of users recorded?"
      controls = ["HIPAA-164.312-b"]
      rule     = "sufficient"
    }

    question "AUDT-2.5" {
      text     = "Is the presentation of clinical or personal data (display, print) recorded?"
      controls = ["HIPAA-164.312-b"]
      rule     = "sufficient"
      note     = "The audit-controls check reads a patient record and looks for its record"
    }

    question "AUDT-2.6" {
      text   = "Are the creation, change and deletion of data recorded?"
      manual = "Ward's audit check covers logins, settings, users, permissions, reads of patient data and updates, not every change of clinical data"
    }

    question "AUDT-2.7" {
      text   = "Are imports and exports through removable media recorded?"
      manual = "Ward cannot tell this interface or medium from the network services it sees"
    }

    question "AUDT-2.8" {
      text   = "Is data or a command received or sent over a network or point-to-point link recorded?"
      manual = "Ward does not check that every network exchange is logged"
    }

    question "AUDT-2.8.1" {
      text   = "Are remote or on-site support sessions recorded?"
      manual = "Ward does not open a support session"
    }

    question "AUDT-2.8.2" {
      text   = "Is API activity recorded?"
      manual = "Ward does not check that every API call is logged"
    }

    question "AUDT-2.9" {
      text     = "Is emergency access recorded?"
      controls = ["HIPAA-164.312-a-2-ii"]
      rule     = "sufficient"
      note     = "The emergency-access check finds the break-glass record carrying its reason"
    }

    question "AUDT-2.10" {
      text     = "Are other events, such as software updates, recorded?"
      controls = ["HIPAA-164.312-b", "FDA-PMC-INTEG-1"]
      rule     = "sufficient"
    }

    question "AUDT-2.11" {
      text   = "Is the audit capability documented in more detail?"
      manual = "About the maker's processes or documentation, which no device test shows"
    }

    question "AUDT-3" {
      text   = "Can the owner choose which events are recorded?"
      manual = "About what the owner can configure; Ward tests the configuration it finds, not the range of settings offered"
    }

    question "AUDT-4" {
      text   = "Is a list of the data attributes recorded for an event available?"
      manual = "About the maker's processes or documentation, which no device test shows"
    }

    question "AUDT-4.1" {
      text     = "Does the audit log record the date and time?"
      controls = ["HIPAA-164.312-b"]
      rule     = "sufficient"
    }

    question "AUDT-4.1.1" {
      text   = "Can the date and time be synchronised with NTP or a similar time source?"
      manual = "Ward does not test time synchronisation"
    }

    question "AUDT-5" {
      text     = "Can the audit log be exported?"
      controls = ["FDA-PMC-LOG-1"]
      rule     = "sufficient"
      note     = "The check has the device send its records to a syslog collector"
    }

    question "AUDT-5.1" {
      text   = "Through physical media?"
      manual = "Ward cannot tell this interface or medium from the network services it sees"
    }

    question "AUDT-5.2" {
      text   = "Through the IHE ATNA profile to a SIEM?"
      manual = "Ward checks syslog over TLS (RFC 5425, the transport ATNA uses) in FDA-PMC-LOG-1, but not ATNA's message schema"
    }

    question "AUDT-5.3" {
      text   = "Through other channels (a service tool, a mobile application)?"
      manual = "Ward cannot tell this interface or medium from the network services it sees"
    }

    question "AUDT-5.4" {
      text     = "Are audit logs encrypted in transit or on storage media?"
      controls = ["FDA-PMC-LOG-1"]
      rule     = "sufficient"
      note     = "FDA-PMC-LOG-1 requires the records to arrive over TLS"
    }

    question "AUDT-6" {
      text     = "Can the owner monitor or review the audit logs?"
      controls = ["HIPAA-164.308-a-1-ii-D"]
      rule     = "sufficient"
    }

    question "AUDT-7" {
      text     = "Are audit logs protected from modification?"
      controls = ["FDA-PMC-LOG-2"]
    }

    question "AUDT-7.1" {
      text   = "Are audit logs protected from being read?"
      manual = "Ward does not test who may read the log"
    }

    question "AUDT-8" {
      text     = "Can the device analyse its audit logs?"
      controls = ["HIPAA-164.308-a-1-ii-D"]
      rule     = "sufficient"
      note     = "The device summarises privileged activity and flags unreviewed emergency access"
    }
  }

  section "AUTH" {
    title = "Authorization"

    question "AUTH-1" {
      text     = "Does the device keep out unauthorised users through login or another mechanism?"
      controls = ["HIPAA-164.312-d"]
    }

    question "AUTH-1.1" {
      text   = "Can the device use federated credential management (LDAP, OAuth) for authorization?"
      manual = "Ward does not test directory or federated login"
    }

    question "AUTH-1.2" {
      text   = "Can the customer push group policies (such as Active Directory's) to the device?"
      manual = "Ward does not test directory integration"
    }

    question "AUTH-1.3" {
      text   = "Are special groups, organisational units or group policies required?"
      manual = "About the maker's processes or documentation, which no device test shows"
    }

    question "AUTH-2" {
      text     = "Can users be given different privileges by role (user, administrator, service)?"
      controls = ["FDA-PMC-AUTHZ-1"]
    }

    question "AUTH-3" {
      text   = "Can the owner give themselves unrestricted administrative privileges (local root or administrator)?"
      manual = "A property of the owner's rights, not a protection Ward checks"
    }

    question "AUTH-4" {
      text     = "Does the device authorise or control every API request?"
      controls = ["HIPAA-164.312-d", "FDA-PMC-AUTHZ-1"]
    }

    question "AUTH-5" {
      text   = "Does the device run in a restricted (kiosk) mode by default?"
      manual = "About the device's hardware or physical form, which Ward's drivers do not observe"
    }
  }

  section "CSUP" {
    title = "Cybersecurity product upgrades"

    question "CSUP-1" {
      text     = "Does the device hold software or firmware that may need security updates during its life?"
      controls = ["FDA-PMC-INTEG-1"]
      rule     = "present"
      note     = "The update check installs a newer firmware image"
    }

    question "CSUP-2" {
      text   = "Does the device contain an operating system?"
      manual = "Ward does not inventory the device's operating system, drivers or third-party components by class"
    }

    question "CSUP-2.1" {
      text   = "For an operating system: does the documentation tell the owner how to install patches or updates?"
      manual = "About the maker's processes or documentation, which no device test shows"
    }

    question "CSUP-2.2" {
      text   = "For an operating system: must the maker or its authorised service install patches or updates?"
      manual = "About the maker's processes or documentation, which no device test shows"
    }

    question "CSUP-2.3" {
      text   = "For an operating system: can patches or updates be installed remotely?"
      manual = "Ward does not inventory the device's operating system, drivers or third-party components by class"
    }

    question "CSUP-2.4" {
      text   = "For an operating system: may third-party security updates be installed without the maker's approval?"
      manual = "About the maker's processes or documentation, which no device test shows"
    }

    question "CSUP-3" {
      text   = "Does the device contain drivers and firmware?"
      manual = "Ward does not inventory the device's operating system, drivers or third-party components by class"
    }

    question "CSUP-3.1" {
      text   = "For drivers and firmware: does the documentation tell the owner how to install patches or updates?"
      manual = "About the maker's processes or documentation, which no device test shows"
    }

    question "CSUP-3.2" {
      text   = "For drivers and firmware: must the maker or its authorised service install patches or updates?"
      manual = "About the maker's processes or documentation, which no device test shows"
    }

    question "CSUP-3.3" {
      text   = "For drivers and firmware: can patches or updates be installed remotely?"
      manual = "Ward does not inventory the device's operating system, drivers or third-party components by class"
    }

    question "CSUP-3.4" {
      text   = "For drivers and firmware: may third-party security updates be installed without the maker's approval?"
      manual = "About the maker's processes or documentation, which no device test shows"
    }

    question "CSUP-4" {
      text   = "Does the device contain anti-malware software?"
      manual = "Ward does not inventory the device's operating system, drivers or third-party components by class"
    }

    question "CSUP-4.1" {
      text   = "For anti-malware software: does the documentation tell the owner how to install patches or updates?"
      manual = "About the maker's processes or documentation, which no device test shows"
    }

    question "CSUP-4.2" {
      text   = "For anti-malware software: must the maker or its authorised service install patches or updates?"
      manual = "About the maker's processes or documentation, which no device test shows"
    }

    question "CSUP-4.3" {
      text   = "For anti-malware software: can patches or updates be installed remotely?"
      manual = "Ward does not inventory the device's operating system, drivers or third-party components by class"
    }

    question "CSUP-4.4" {
      text   = "For anti-malware software: may third-party security updates be installed without the maker's approval?"
      manual = "About the maker's processes or documentation, which no device test shows"
    }

    question "CSUP-5" {
      text   = "Does the device contain commercial off-the-shelf components other than the operating system?"
      manual = "Ward does not inventory the device's operating system, drivers or third-party components by class"
    }

    question "CSUP-5.1" {
      text   = "For commercial off-the-shelf components other than the operating system: does the documentation tell the owner how to install patches or updates?"
      manual = "About the maker's processes or documentation, which no device test shows"
    }

    question "CSUP-5.2" {
      text   = "For commercial off-the-shelf components other than the operating system: must the maker or its authorised service install patches or updates?"
      manual = "About the maker's processes or documentation, which no device test shows"
    }

    question "CSUP-5.3" {
      text   = "For commercial off-the-shelf components other than the operating system: can patches or updates be installed remotely?"
      manual = "Ward does not inventory the device's operating system, drivers or third-party components by class"
    }

    question "CSUP-5.4" {
      text   = "For commercial off-the-shelf components other than the operating system: may third-party security updates be installed without the maker's approval?"
      manual = "About the maker's processes or documentation, which no device test shows"
    }

    question "CSUP-6" {
      text   = "Does the device contain other software components?"
      manual = "Ward does not inventory the device's operating system, drivers or third-party components by class"
    }

    question "CSUP-6.1" {
      text   = "For other software components: does the documentation tell the owner how to install patches or updates?"
      manual = "About the maker's processes or documentation, which no device test shows"
    }

    question "CSUP-6.2" {
      text   = "For other software components: must the maker or its authorised service install patches or updates?"
      manual = "About the maker's processes or documentation, which no device test shows"
    }

    question "CSUP-6.3" {
      text   = "For other software components: can patches or updates be installed remotely?"
      manual = "Ward does not inventory the device's operating system, drivers or third-party components by class"
    }

    question "CSUP-6.4" {
      text   = "For other software components: may third-party security updates be installed without the maker's approval?"
      manual = "About the maker's processes or documentation, which no device test shows"
    }

    question "CSUP-7" {
      text   = "Does the maker tell the customer when updates are approved for installation?"
      manual = "About the maker's processes or documentation, which no device test shows"
    }

    question "CSUP-8" {
      text   = "Does the device install software updates automatically?"
      manual = "About what the owner can configure; Ward tests the configuration it finds, not the range of settings offered"
    }

    question "CSUP-9" {
      text   = "Does the maker keep a list of approved third-party software for the device?"
      manual = "About the maker's processes or documentation, which no device test shows"
    }

    question "CSUP-10" {
      text   = "Can the owner install maker-approved third-party software themselves?"
      manual = "About the maker's processes or documentation, which no device test shows"
    }

    question "CSUP-10.1" {
      text     = "Does the device have a mechanism that prevents the installation of unapproved software?"
      controls = ["HIPAA-164.308-a-5-ii-B"]
      note     = "The check offers an unsigned image and confirms the device refuses it"
    }

    question "CSUP-11" {
      text     = "Does the maker have a process to assess the device's vulnerabilities and updates?"
      controls = ["NPRM-164.312-h-2"]
      rule     = "sufficient"
      note     = "Answered only from an accepted attestation (ward check --attestations)"
    }

    question "CSUP-11.1" {
      text   = "Does the maker tell customers the review and approval status of updates?"
      manual = "About the maker's processes or documentation, which no device test shows"
    }

    question "CSUP-11.2" {
      text   = "Is there a review cycle for the device's updates?"
      manual = "About the maker's processes or documentation, which no device test shows"
    }
  }

  section "DIDT" {
    title = "Health data de-identification"

    question "DIDT-1" {
      text   = "Can the device itself de-identify personally identifiable information?"
      manual = "Ward does not test de-identification"
    }

    question "DIDT-1.1" {
      text   = "Does it support the DICOM de-identification profiles?"
      manual = "Ward does not test de-identification"
    }
  }

  section "DTBK" {
    title = "Data backup and disaster recovery"

    question "DTBK-1" {
      text   = "Does the device keep long-term primary storage of personally identifiable information (such as a PACS)?"
      manual = "Ward cannot tell primary storage from a working copy"
    }

    question "DTBK-2" {
      text     = "Does the device have a factory reset that restores the maker's settings?"
      controls = ["FDA-PMC-CONFIG-1"]
      rule     = "present"
      note     = "The secure-baseline check resets the device to its trusted default"
    }

    question "DTBK-3" {
      text   = "Can the device back up its data to removable media?"
      manual = "Ward cannot tell this interface or medium from the network services it sees"
    }

    question "DTBK-4" {
      text   = "Can the device back up its data to remote storage?"
      manual = "Ward cannot tell this interface or medium from the network services it sees"
    }

    question "DTBK-5" {
      text   = "Can the device back up its configuration, patches and software for restoration?"
      manual = "Ward's backup checks cover patient data and accounts"
    }

    question "DTBK-6" {
      text     = "Can the device check the integrity and authenticity of a backup?"
      controls = ["HIPAA-164.308-a-7-ii-A"]
      rule     = "sufficient"
      note     = "The check alters a backup and confirms the restore refuses it"
    }
  }

  section "EMRG" {
    title = "Emergency access"

    question "EMRG-1" {
      text     = "Does the device have an emergency access (break-glass) feature?"
      controls = ["HIPAA-164.312-a-2-ii"]
      rule     = "present"
    }
  }

  section "IGAU" {
    title = "Health data integrity and authenticity"

    question "IGAU-1" {
      text     = "Does the device check the integrity of stored health data (a hash or digital signature)?"
      controls = ["HIPAA-164.312-c-2"]
    }

    question "IGAU-2" {
      text   = "Does the device protect stored health data from errors and failures and recover it (RAID and the like)?"
      manual = "Ward does not inject storage faults"
    }
  }

  section "MLDP" {
    title = "Malware detection and protection"

    question "MLDP-1" {
      text   = "Can the device host executable software?"
      manual = "Ward does not inventory the device's operating system, drivers or third-party components by class"
    }

    question "MLDP-2" {
      text   = "Does the device support anti-malware software or another anti-malware mechanism?"
      manual = "Ward does not test anti-malware software"
    }

    question "MLDP-2.1" {
      text   = "Is anti-malware software included by default?"
      manual = "Ward does not test anti-malware software"
    }

    question "MLDP-2.2" {
      text   = "Is anti-malware software available as an option?"
      manual = "Ward does not test anti-malware software"
    }

    question "MLDP-2.3" {
      text   = "Does the documentation let the owner install or update anti-malware software?"
      manual = "Ward does not test anti-malware software"
    }

    question "MLDP-2.4" {
      text   = "Can the owner configure anti-malware settings independently?"
      manual = "Ward does not test anti-malware software"
    }

    question "MLDP-2.5" {
      text   = "Does the device's user interface show that malware was detected?"
      manual = "Ward does not test anti-malware software"
    }

    question "MLDP-2.6" {
      text   = "Can only the maker's authorised people repair a system where malware was detected?"
      manual = "Ward does not test anti-malware software"
    }

    question "MLDP-2.7" {
      text   = "Are malware notifications written to a log?"
      manual = "Ward does not test anti-malware software"
    }

    question "MLDP-2.8" {
      text   = "Are there restrictions on anti-malware (purchase, installation, configuration, scheduling)?"
      manual = "Ward does not test anti-malware software"
    }

    question "MLDP-3" {
      text     = "Without anti-malware software, are other compensating controls in place or available?"
      controls = ["HIPAA-164.308-a-5-ii-B"]
      note     = "The device runs only software its maker signed: an unsigned image is refused"
    }

    question "MLDP-4" {
      text   = "Does the device restrict the software and services allowed to run to an allowlist?"
      manual = "Ward tests what the device installs (signed images), not what it lets run"
    }

    question "MLDP-5" {
      text     = "Does the device use a host-based intrusion detection or prevention system?"
      controls = ["FDA-PMC-DETECT-1"]
      rule     = "sufficient"
      note     = "FDA-PMC-DETECT-1: the device raises an alert on a traffic spike and on a beacon to an unknown host"
    }

    question "MLDP-5.1" {
      text   = "Can the customer configure the host-based intrusion detection or prevention system?"
      manual = "About what the owner can configure; Ward tests the configuration it finds, not the range of settings offered"
    }

    question "MLDP-5.2" {
      text   = "Can the customer install a host-based intrusion detection or prevention system?"
      manual = "About what the owner can configure; Ward tests the configuration it finds, not the range of settings offered"
    }
  }

  section "NAUT" {
    title = "Node authentication"

    question "NAUT-1" {
      text     = "Does the device authenticate the nodes it exchanges data with, so that sender and receiver know and trust each other?"
      controls = ["FDA-PMC-AUTHN-3"]
    }

    question "NAUT-2" {
      text     = "Does the device support network access control (an internal firewall, a connection allowlist)?"
      controls = ["FDA-PMC-AUTHZ-2", "FDA-PMC-AUTHZ-3"]
      rule     = "sufficient"
    }

    question "NAUT-2.1" {
      text   = "Is the firewall rule set documented and available for review?"
      manual = "About the maker's processes or documentation, which no device test shows"
    }

    question "NAUT-3" {
      text     = "Does the device use certificate-based authentication of network connections?"
      controls = ["FDA-PMC-AUTHN-3"]
    }
  }

  section "CONN" {
    title = "Connectivity capabilities"

    question "CONN-1" {
      text    = "Does the device have hardware connectivity?"
      observe = "network-service"
      note    = "Yes when Ward reached a network service of the device"
    }

    question "CONN-1.1" {
      text   = "Does the device support wireless connections?"
      manual = "Ward cannot tell this interface or medium from the network services it sees"
    }

    question "CONN-1.1.1" {
      text   = "Does it support Wi-Fi?"
      manual = "Ward cannot tell this interface or medium from the network services it sees"
    }

    question "CONN-1.1.2" {
      text   = "Does it support Bluetooth?"
      manual = "Ward cannot tell this interface or medium from the network services it sees"
    }

    question "CONN-1.1.3" {
      text   = "Does it support other wireless network interfaces (LTE, Zigbee, proprietary)?"
      manual = "Ward cannot tell this interface or medium from the network services it sees"
    }

    question "CONN-1.1.4" {
      text   = "Does it support other wireless connections (infrared, acoustic, visible light)?"
      manual = "Ward cannot tell this interface or medium from the network services it sees"
    }

    question "CONN-1.2" {
      text   = "Does the device support physical connections?"
      manual = "About the device's hardware or physical form, which Ward's drivers do not observe"
    }

    question "CONN-1.2.1" {
      text   = "Does it have Ethernet (RJ45) ports?"
      manual = "About the device's hardware or physical form, which Ward's drivers do not observe"
    }

    question "CONN-1.2.2" {
      text   = "Does it have USB ports?"
      manual = "About the device's hardware or physical form, which Ward's drivers do not observe"
    }

    question "CONN-1.2.3" {
      text   = "Does it need, use or support removable memory?"
      manual = "About the device's hardware or physical form, which Ward's drivers do not observe"
    }

    question "CONN-1.2.4" {
      text   = "Does it support other physical connections?"
      manual = "About the device's hardware or physical form, which Ward's drivers do not observe"
    }

    question "CONN-2" {
      text    = "Does the maker list the network ports and protocols the device uses or may use?"
      observe = "documented-ports"
      note    = "Yes when the device or its profile documents its ports"
    }

    question "CONN-3" {
      text    = "Can the device communicate with other systems in the customer's environment?"
      observe = "network-service"
    }

    question "CONN-4" {
      text   = "Can the device communicate with systems outside the customer's environment (a service host)?"
      manual = "Ward keeps its traffic on the target's host and does not test outside connections"
    }

    question "CONN-5" {
      text   = "Does the device make or receive API calls?"
      manual = "Ward cannot tell an API from another network service"
    }

    question "CONN-6" {
      text   = "Does the device need an internet connection for its intended use?"
      manual = "A statement about the maker or the document, not about the device's behaviour"
    }

    question "CONN-7" {
      text    = "Does the device support TLS?"
      observe = "tls-service"
      note    = "Yes when a service of the device presented a certificate in a TLS handshake with Ward"
    }

    question "CONN-7.1" {
      text   = "Is TLS configurable?"
      manual = "About what the owner can configure; Ward tests the configuration it finds, not the range of settings offered"
    }

    question "CONN-8" {
      text   = "Can the device be operated from a separate device (telemedicine)?"
      manual = "A statement about the maker or the document, not about the device's behaviour"
    }
  }

  section "PAUT" {
    title = "Person authentication"

    question "PAUT-1" {
      text     = "Does the device support and enforce unique ids and passwords for every user and role, service accounts included?"
      controls = ["HIPAA-164.312-a-2-i"]
    }

    question "PAUT-1.1" {
      text     = "Does the device enforce authentication of those unique ids and passwords?"
      controls = ["HIPAA-164.312-a-2-i", "HIPAA-164.312-d"]
    }

    question "PAUT-2" {
      text   = "Can the device authenticate users through an external service (Active Directory, LDAP, OAuth)?"
      manual = "Ward does not test directory or federated login"
    }

    question "PAUT-3" {
      text     = "Can the device lock a user out after a number of failed logins?"
      controls = ["HIPAA-164.308-a-5-ii-C"]
      rule     = "sufficient"
    }

    question "PAUT-4" {
      text   = "Are all default accounts (service, administrator) listed in the documentation?"
      manual = "A documentation question; FDA-PMC-AUTHN-1 shows whether default credentials open the device"
    }

    question "PAUT-5" {
      text   = "Can every password be changed?"
      manual = "Ward does not change every account's password"
    }

    question "PAUT-6" {
      text     = "Can the device enforce password complexity rules?"
      controls = ["HIPAA-164.308-a-5-ii-D"]
      note     = "The check tries weak passwords; it does not test site-specific rules"
    }

    question "PAUT-7" {
      text   = "Does the device support passwords that expire?"
      manual = "Ward does not test password expiry"
    }

    question "PAUT-8" {
      text     = "Does the device support multi-factor authentication?"
      controls = ["FDA-PMC-AUTHN-2"]
    }

    question "PAUT-9" {
      text   = "Does the device support single sign-on?"
      manual = "Ward does not test single sign-on"
    }

    question "PAUT-10" {
      text     = "Can user accounts be disabled or locked on the device?"
      controls = ["HIPAA-164.308-a-5-ii-C"]
      rule     = "present"
      note     = "The lockout check locks an account"
    }

    question "PAUT-11" {
      text   = "Does the device support biometrics?"
      manual = "About the device's hardware or physical form, which Ward's drivers do not observe"
    }

    question "PAUT-12" {
      text   = "Does the device support physical tokens (badges)?"
      manual = "About the device's hardware or physical form, which Ward's drivers do not observe"
    }

    question "PAUT-13" {
      text   = "Does the device support group authentication (hospital teams)?"
      manual = "Ward does not test group authentication"
    }

    question "PAUT-14" {
      text   = "Does the device store or manage authentication credentials?"
      manual = "Ward cannot tell from stored bytes whether credentials are among them"
    }

    question "PAUT-14.1" {
      text     = "Are credentials stored securely?"
      controls = ["HIPAA-164.312-a-2-iv"]
      note     = "The at-rest check searches raw storage for a user's password"
    }
  }

  section "PLOK" {
    title = "Physical locks"

    question "PLOK-1" {
      text   = "Is the device software only?"
      manual = "About the device's hardware or physical form, which Ward's drivers do not observe"
    }

    question "PLOK-2" {
      text   = "Are all components holding personally identifiable information (besides removable media) physically secured, removable only with tools?"
      manual = "About the device's hardware or physical form, which Ward's drivers do not observe"
    }

    question "PLOK-3" {
      text   = "Are those components secured behind an individually keyed lock?"
      manual = "About the device's hardware or physical form, which Ward's drivers do not observe"
    }

    question "PLOK-4" {
      text   = "Can the customer attach a physical lock to restrict access to removable media?"
      manual = "About the device's hardware or physical form, which Ward's drivers do not observe"
    }
  }

  section "RDMP" {
    title = "Roadmap for third-party components in the device life cycle"

    question "RDMP-1" {
      text   = "Was a secure development process (ISO/IEC 27034, IEC 62304) followed?"
      manual = "About the maker's processes or documentation, which no device test shows"
    }

    question "RDMP-2" {
      text   = "Does the maker evaluate the third-party software in the device for secure development?"
      manual = "About the maker's processes or documentation, which no device test shows"
    }

    question "RDMP-3" {
      text   = "Does the maker publish software support dates and updates?"
      manual = "About the maker's processes or documentation, which no device test shows"
    }

    question "RDMP-4" {
      text   = "Does the maker have a plan for third-party components reaching end of life?"
      manual = "About the maker's processes or documentation, which no device test shows"
    }
  }

  section "SBOM" {
    title = "Software bill of materials"

    question "SBOM-1" {
      text     = "Is the product's SBOM available?"
      controls = ["524B-b-3"]
      rule     = "sufficient"
    }

    question "SBOM-2" {
      text     = "Does the SBOM follow a standard or common format?"
      controls = ["524B-b-3"]
      rule     = "sufficient"
      note     = "524B-b-3 requires a CycloneDX SBOM"
    }

    question "SBOM-2.1" {
      text   = "Are the software components identified?"
      manual = "Ward checks that the SBOM describes the running firmware, not each component's entry"
    }

    question "SBOM-2.2" {
      text   = "Are the components' developers identified?"
      manual = "Ward does not check supplier fields"
    }

    question "SBOM-2.3" {
      text   = "Are the components' major versions identified?"
      manual = "Ward does not check component versions"
    }

    question "SBOM-2.4" {
      text   = "Are other descriptive elements identified?"
      manual = "Ward does not check other SBOM fields"
    }

    question "SBOM-3" {
      text     = "Can the device produce a list of the software installed on it?"
      controls = ["524B-b-3"]
      rule     = "sufficient"
      note     = "The device reports the SBOM of the firmware it runs"
    }

    question "SBOM-4" {
      text     = "Is there a process to update the SBOM?"
      controls = ["524B-b-3"]
      rule     = "sufficient"
      note     = "A newer image comes with its own SBOM, which the device then reports"
    }
  }

  section "SAHD" {
    title = "System and application hardening"

    question "SAHD-1" {
      text   = "Is the device hardened to an industry standard?"
      manual = "About the maker's processes or documentation, which no device test shows"
    }

    question "SAHD-2" {
      text   = "Has the device received cybersecurity certifications?"
      manual = "About the maker's processes or documentation, which no device test shows"
    }

    question "SAHD-3" {
      text     = "Does the device check the integrity of its software?"
      controls = ["HIPAA-164.308-a-5-ii-B"]
    }

    question "SAHD-3.1" {
      text     = "Does the device ensure that the installed software is authorised by the maker (hash, checksum, signature)?"
      controls = ["HIPAA-164.308-a-5-ii-B"]
    }

    question "SAHD-3.2" {
      text     = "Does the device ensure that software updates are authorised by the maker?"
      controls = ["FDA-PMC-INTEG-1"]
      rule     = "sufficient"
    }

    question "SAHD-4" {
      text   = "Can the owner check the software's integrity (that it was not modified or tampered with)?"
      manual = "Ward checks the device, not the owner's tools"
    }

    question "SAHD-5" {
      text     = "Can access controls at file, patient or other level be set up?"
      controls = ["FDA-PMC-AUTHZ-1"]
    }

    question "SAHD-5.1" {
      text     = "Does the device provide role-based access control?"
      controls = ["FDA-PMC-AUTHZ-1"]
    }

    question "SAHD-6" {
      text     = "Are system or user accounts restricted or disabled by the maker at delivery?"
      controls = ["FDA-PMC-AUTHN-1"]
      note     = "FDA-PMC-AUTHN-1: no account opens with a default or published password"
    }

    question "SAHD-6.1" {
      text   = "Can the end user configure system or user accounts after the first set-up?"
      manual = "About what the owner can configure; Ward tests the configuration it finds, not the range of settings offered"
    }

    question "SAHD-6.2" {
      text     = "Are accounts such as service technicians' restricted to least privilege?"
      controls = ["FDA-PMC-AUTHZ-1"]
    }

    question "SAHD-7" {
      text   = "Are shared resources (file shares) the intended use does not need disabled?"
      manual = "Ward does not look for file shares"
    }

    question "SAHD-8" {
      text     = "Are ports and protocols the intended use does not need disabled?"
      controls = ["FDA-PMC-AUTHZ-2"]
    }

    question "SAHD-9" {
      text     = "Are services the intended use does not need (telnet, FTP, web servers) removed or disabled?"
      controls = ["FDA-PMC-AUTHZ-2"]
    }

    question "SAHD-10" {
      text   = "Are applications the intended use does not need removed or disabled?"
      manual = "Ward does not inventory the device's operating system, drivers or third-party components by class"
    }

    question "SAHD-11" {
      text   = "Can the device refuse to boot from uncontrolled or removable media?"
      manual = "About the device's hardware or physical form, which Ward's drivers do not observe"
    }

    question "SAHD-12" {
      text     = "Can unauthorised software or hardware be installed without physical tools?"
      controls = ["HIPAA-164.308-a-5-ii-B"]
      rule     = "inverted"
      note     = "Inverted: Yes means the weakness. The check offers an unsigned image over the device's own interface"
    }

    question "SAHD-13" {
      text   = "Does the documentation say how users may scan the device's network security in operation?"
      manual = "About the maker's processes or documentation, which no device test shows"
    }

    question "SAHD-14" {
      text   = "Can the device be hardened beyond its default state?"
      manual = "About what the owner can configure; Ward tests the configuration it finds, not the range of settings offered"
    }

    question "SAHD-14.1" {
      text   = "Does the maker give instructions for further hardening?"
      manual = "About the maker's processes or documentation, which no device test shows"
    }

    question "SAHD-15" {
      text   = "Can the system prevent access to the BIOS or boot loader during boot?"
      manual = "About the device's hardware or physical form, which Ward's drivers do not observe"
    }

    question "SAHD-16" {
      text   = "Were other hardening methods used?"
      manual = "About the maker's processes or documentation, which no device test shows"
    }
  }

  section "SGUD" {
    title = "Security guidance"

    question "SGUD-1" {
      text   = "Does the device come with security documentation for the owner?"
      manual = "About the maker's processes or documentation, which no device test shows"
    }

    question "SGUD-2" {
      text     = "Can data be deleted from the device or its media permanently, with instructions?"
      controls = ["HIPAA-164.310-d-2-i"]
      note     = "The disposal check confirms decommissioning makes a copied marker unrecoverable"
    }

    question "SGUD-3" {
      text   = "Are all access accounts documented?"
      manual = "About the maker's processes or documentation, which no device test shows"
    }

    question "SGUD-3.1" {
      text   = "Can the owner manage password control for every account?"
      manual = "About what the owner can configure; Ward tests the configuration it finds, not the range of settings offered"
    }

    question "SGUD-4" {
      text   = "Does the documentation recommend compensating controls for the device?"
      manual = "About the maker's processes or documentation, which no device test shows"
    }
  }

  section "STCF" {
    title = "Health data storage confidentiality"

    question "STCF-1" {
      text     = "Can the device encrypt data at rest?"
      controls = ["HIPAA-164.312-a-2-iv"]
    }

    question "STCF-1.1" {
      text     = "Is all data encrypted or otherwise protected?"
      controls = ["HIPAA-164.312-a-2-iv"]
    }

    question "STCF-1.2" {
      text     = "Is encryption of stored data on by default?"
      controls = ["HIPAA-164.312-a-2-iv"]
      note     = "The check stores a record through the device as delivered, without changing a setting"
    }

    question "STCF-1.3" {
      text   = "Are instructions for configuring encryption available to the customer?"
      manual = "About the maker's processes or documentation, which no device test shows"
    }

    question "STCF-2" {
      text   = "Can the encryption keys be changed or configured?"
      manual = "Ward checks per-device keys (FDA-PMC-CRYPTO-2), not key changes"
    }

    question "STCF-3" {
      text   = "Is the data stored in a database on the device?"
      manual = "Ward sees stored bytes, not how they are organised"
    }

    question "STCF-4" {
      text   = "Is the data stored in a database outside the device?"
      manual = "A statement about the maker or the document, not about the device's behaviour"
    }
  }

  section "TXCF" {
    title = "Transmission confidentiality"

    question "TXCF-1" {
      text   = "Can personally identifiable information be sent only over a dedicated point-to-point cable?"
      manual = "Ward cannot tell this interface or medium from the network services it sees"
    }

    question "TXCF-2" {
      text     = "Is personally identifiable information encrypted before it is sent over a network or on removable media?"
      controls = ["HIPAA-164.312-e-2-ii"]
    }

    question "TXCF-2.1" {
      text   = "If it is not encrypted by default, can the customer configure encryption?"
      manual = "About what the owner can configure; Ward tests the configuration it finds, not the range of settings offered"
    }

    question "TXCF-3" {
      text     = "Is the sending of personally identifiable information restricted to a fixed list of destinations?"
      controls = ["FDA-PMC-AUTHZ-3"]
    }

    question "TXCF-4" {
      text     = "Are connections limited to authenticated systems?"
      controls = ["FDA-PMC-AUTHN-3", "HIPAA-164.312-d"]
    }

    question "TXCF-5" {
      text     = "Are secure transmission methods (DICOM, HL7, IEEE 11073) supported or used?"
      controls = ["HIPAA-164.312-e-2-ii"]
      rule     = "sufficient"
      note     = "HL7 is checked over TLS 1.2 or newer"
    }
  }

  section "TXIG" {
    title = "Transmission integrity"

    question "TXIG-1" {
      text     = "Does the device have a mechanism (such as a digital signature) to ensure data is not changed in transit?"
      controls = ["HIPAA-164.312-e-2-i"]
    }

    question "TXIG-2" {
      text   = "Does the device consist of sub-components joined by external cables?"
      manual = "About the device's hardware or physical form, which Ward's drivers do not observe"
    }
  }

  section "RMOT" {
    title = "Remote service"

    question "RMOT-1" {
      text   = "Does the device allow remote service connections for analysis or repair?"
      manual = "Ward does not open a remote service session"
    }

    question "RMOT-1.1" {
      text   = "Can the owner start remote service sessions?"
      manual = "Ward does not open a remote service session"
    }

    question "RMOT-1.2" {
      text   = "Is an enabled and active remote session shown by an indicator?"
      manual = "About the device's hardware or physical form, which Ward's drivers do not observe"
    }

    question "RMOT-1.3" {
      text   = "Can patient data be reached from the device during a remote session?"
      manual = "Ward does not open a remote service session"
    }

    question "RMOT-2" {
      text   = "Does the device allow or use remote connections for predictive maintenance data?"
      manual = "Ward does not test maintenance connections"
    }

    question "RMOT-3" {
      text   = "Does the device have other remotely reachable functions (software updates, remote training)?"
      manual = "Ward cannot tell whether the way it reached the device counts as remote for the maker"
    }
  }

  section "OTHR" {
    title = "Other security considerations"
  }
}
