//! ARM request mapping over real request shapes (semantics §3.2): every expected operation exists in the catalog, and
//! every refused feature refuses the request wherever it appears.

#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

use proptest::prelude::*;
use rolegate::catalog::{Catalog, PlaneAnswer};
use rolegate_gateway::map::{MapError, Operation, Refusal, did_you_mean, map};

const RG: &str = "/subscriptions/0b1f6471-1bf0-4dda-aec3-cb9272f09590/resourceGroups/rg-prod";
const SUB: &str = "/subscriptions/0b1f6471-1bf0-4dda-aec3-cb9272f09590";

/// `(method, path after the resource group or subscription, expected operation, expected scope)`; `{RG}` and
/// `{SUB}` in paths and scopes stand for the resource group and subscription above.
const CASES: &[(&str, &str, &str, &str)] = &[
    // Compute
    (
        "GET",
        "{RG}/providers/Microsoft.Compute/virtualMachines/vm1",
        "Microsoft.Compute/virtualMachines/read",
        "{RG}/providers/Microsoft.Compute/virtualMachines/vm1",
    ),
    (
        "HEAD",
        "{RG}/providers/Microsoft.Compute/virtualMachines/vm1",
        "Microsoft.Compute/virtualMachines/read",
        "{RG}/providers/Microsoft.Compute/virtualMachines/vm1",
    ),
    (
        "PUT",
        "{RG}/providers/Microsoft.Compute/virtualMachines/vm1?api-version=2024-03-01",
        "Microsoft.Compute/virtualMachines/write",
        "{RG}/providers/Microsoft.Compute/virtualMachines/vm1",
    ),
    (
        "PATCH",
        "{RG}/providers/Microsoft.Compute/virtualMachines/vm1?api-version=2024-03-01",
        "Microsoft.Compute/virtualMachines/write",
        "{RG}/providers/Microsoft.Compute/virtualMachines/vm1",
    ),
    (
        "DELETE",
        "{RG}/providers/Microsoft.Compute/virtualMachines/vm1?api-version=2024-03-01&forceDeletion=true",
        "Microsoft.Compute/virtualMachines/delete",
        "{RG}/providers/Microsoft.Compute/virtualMachines/vm1",
    ),
    (
        "GET",
        "{RG}/providers/Microsoft.Compute/virtualMachines?api-version=2024-03-01",
        "Microsoft.Compute/virtualMachines/read",
        "{RG}",
    ),
    ("GET", "{SUB}/providers/Microsoft.Compute/virtualMachines", "Microsoft.Compute/virtualMachines/read", "{SUB}"),
    (
        "POST",
        "{RG}/providers/Microsoft.Compute/virtualMachines/vm1/start",
        "Microsoft.Compute/virtualMachines/start/action",
        "{RG}/providers/Microsoft.Compute/virtualMachines/vm1",
    ),
    (
        "POST",
        "{RG}/providers/Microsoft.Compute/virtualMachines/vm1/restart?api-version=2024-03-01",
        "Microsoft.Compute/virtualMachines/restart/action",
        "{RG}/providers/Microsoft.Compute/virtualMachines/vm1",
    ),
    (
        "POST",
        "{RG}/providers/Microsoft.Compute/virtualMachines/vm1/deallocate",
        "Microsoft.Compute/virtualMachines/deallocate/action",
        "{RG}/providers/Microsoft.Compute/virtualMachines/vm1",
    ),
    (
        "POST",
        "{RG}/providers/Microsoft.Compute/virtualMachines/vm1/runCommand",
        "Microsoft.Compute/virtualMachines/runCommand/action",
        "{RG}/providers/Microsoft.Compute/virtualMachines/vm1",
    ),
    (
        "PUT",
        "{RG}/providers/Microsoft.Compute/virtualMachines/vm1/extensions/CustomScript",
        "Microsoft.Compute/virtualMachines/extensions/write",
        "{RG}/providers/Microsoft.Compute/virtualMachines/vm1/extensions/CustomScript",
    ),
    (
        "GET",
        "{RG}/providers/Microsoft.Compute/disks/osdisk1",
        "Microsoft.Compute/disks/read",
        "{RG}/providers/Microsoft.Compute/disks/osdisk1",
    ),
    (
        "POST",
        "{RG}/providers/Microsoft.Compute/snapshots/snap1/beginGetAccess",
        "Microsoft.Compute/snapshots/beginGetAccess/action",
        "{RG}/providers/Microsoft.Compute/snapshots/snap1",
    ),
    (
        "GET",
        "{RG}/providers/Microsoft.Compute/virtualMachineScaleSets/ss1/virtualMachines/0",
        "Microsoft.Compute/virtualMachineScaleSets/virtualMachines/read",
        "{RG}/providers/Microsoft.Compute/virtualMachineScaleSets/ss1/virtualMachines/0",
    ),
    (
        "GET",
        "{RG}/providers/Microsoft.Compute/virtualMachineScaleSets/ss1/virtualMachines",
        "Microsoft.Compute/virtualMachineScaleSets/virtualMachines/read",
        "{RG}/providers/Microsoft.Compute/virtualMachineScaleSets/ss1",
    ),
    (
        "GET",
        "{SUB}/providers/Microsoft.Compute/locations/westeurope/usages",
        "Microsoft.Compute/locations/usages/read",
        "{SUB}/providers/Microsoft.Compute/locations/westeurope",
    ),
    ("POST", "{SUB}/providers/Microsoft.Compute/register", "Microsoft.Compute/register/action", "{SUB}"),
    // Storage
    (
        "GET",
        "{RG}/providers/Microsoft.Storage/storageAccounts/sa1",
        "Microsoft.Storage/storageAccounts/read",
        "{RG}/providers/Microsoft.Storage/storageAccounts/sa1",
    ),
    (
        "PUT",
        "{RG}/providers/Microsoft.Storage/storageAccounts/sa1",
        "Microsoft.Storage/storageAccounts/write",
        "{RG}/providers/Microsoft.Storage/storageAccounts/sa1",
    ),
    (
        "DELETE",
        "{RG}/providers/Microsoft.Storage/storageAccounts/sa1",
        "Microsoft.Storage/storageAccounts/delete",
        "{RG}/providers/Microsoft.Storage/storageAccounts/sa1",
    ),
    (
        "POST",
        "{RG}/providers/Microsoft.Storage/storageAccounts/sa1/listKeys?api-version=2023-05-01",
        "Microsoft.Storage/storageAccounts/listkeys/action",
        "{RG}/providers/Microsoft.Storage/storageAccounts/sa1",
    ),
    (
        "POST",
        "{RG}/providers/Microsoft.Storage/storageAccounts/sa1/regenerateKey",
        "Microsoft.Storage/storageAccounts/regeneratekey/action",
        "{RG}/providers/Microsoft.Storage/storageAccounts/sa1",
    ),
    (
        "POST",
        "{RG}/providers/Microsoft.Storage/storageAccounts/sa1/ListAccountSas",
        "Microsoft.Storage/storageAccounts/ListAccountSas/action",
        "{RG}/providers/Microsoft.Storage/storageAccounts/sa1",
    ),
    (
        "PUT",
        "{RG}/providers/Microsoft.Storage/storageAccounts/sa1/blobServices/default/containers/logs",
        "Microsoft.Storage/storageAccounts/blobServices/containers/write",
        "{RG}/providers/Microsoft.Storage/storageAccounts/sa1/blobServices/default/containers/logs",
    ),
    (
        "GET",
        "{RG}/providers/Microsoft.Storage/storageAccounts/sa1/blobServices/default/containers",
        "Microsoft.Storage/storageAccounts/blobServices/containers/read",
        "{RG}/providers/Microsoft.Storage/storageAccounts/sa1/blobServices/default",
    ),
    (
        "PUT",
        "{RG}/providers/Microsoft.Storage/storageAccounts/sa1/blobServices/default/containers/logs/immutabilityPolicies/default",
        "Microsoft.Storage/storageAccounts/blobServices/containers/immutabilityPolicies/write",
        "{RG}/providers/Microsoft.Storage/storageAccounts/sa1/blobServices/default/containers/logs/immutabilityPolicies/default",
    ),
    (
        "DELETE",
        "{RG}/providers/Microsoft.Storage/storageAccounts/sa1/fileServices/default/shares/share1",
        "Microsoft.Storage/storageAccounts/fileServices/shares/delete",
        "{RG}/providers/Microsoft.Storage/storageAccounts/sa1/fileServices/default/shares/share1",
    ),
    (
        "POST",
        "{SUB}/providers/Microsoft.Storage/checkNameAvailability?api-version=2023-05-01",
        "Microsoft.Storage/checknameavailability/read",
        "{SUB}",
    ),
    ("POST", "{SUB}/providers/Microsoft.Storage/register", "Microsoft.Storage/register/action", "{SUB}"),
    ("GET", "{SUB}/providers/Microsoft.Storage/storageAccounts", "Microsoft.Storage/storageAccounts/read", "{SUB}"),
    // Network
    (
        "PUT",
        "{RG}/providers/Microsoft.Network/virtualNetworks/vnet1/subnets/default",
        "Microsoft.Network/virtualNetworks/subnets/write",
        "{RG}/providers/Microsoft.Network/virtualNetworks/vnet1/subnets/default",
    ),
    (
        "DELETE",
        "{RG}/providers/Microsoft.Network/networkSecurityGroups/nsg1/securityRules/allow-ssh",
        "Microsoft.Network/networkSecurityGroups/securityRules/delete",
        "{RG}/providers/Microsoft.Network/networkSecurityGroups/nsg1/securityRules/allow-ssh",
    ),
    (
        "GET",
        "{RG}/providers/Microsoft.Network/publicIPAddresses/pip1",
        "Microsoft.Network/publicIPAddresses/read",
        "{RG}/providers/Microsoft.Network/publicIPAddresses/pip1",
    ),
    (
        "GET",
        "{RG}/providers/Microsoft.Network/loadBalancers/lb1/backendAddressPools",
        "Microsoft.Network/loadBalancers/backendAddressPools/read",
        "{RG}/providers/Microsoft.Network/loadBalancers/lb1",
    ),
    (
        "PUT",
        "{RG}/providers/Microsoft.Network/privateEndpoints/pe1",
        "Microsoft.Network/privateEndpoints/write",
        "{RG}/providers/Microsoft.Network/privateEndpoints/pe1",
    ),
    (
        "PUT",
        "{RG}/providers/Microsoft.Network/dnszones/contoso.com/A/www",
        "Microsoft.Network/dnszones/A/write",
        "{RG}/providers/Microsoft.Network/dnszones/contoso.com/A/www",
    ),
    (
        "POST",
        "{RG}/providers/Microsoft.Network/networkInterfaces/nic1/effectiveNetworkSecurityGroups",
        "Microsoft.Network/networkInterfaces/effectiveNetworkSecurityGroups/action",
        "{RG}/providers/Microsoft.Network/networkInterfaces/nic1",
    ),
    (
        "GET",
        "{SUB}/providers/Microsoft.Network/locations/westeurope/checkDnsNameAvailability?domainNameLabel=x",
        "Microsoft.Network/locations/checkDnsNameAvailability/read",
        "{SUB}/providers/Microsoft.Network/locations/westeurope",
    ),
    // Key Vault
    (
        "PUT",
        "{RG}/providers/Microsoft.KeyVault/vaults/kv1",
        "Microsoft.KeyVault/vaults/write",
        "{RG}/providers/Microsoft.KeyVault/vaults/kv1",
    ),
    (
        "PUT",
        "{RG}/providers/Microsoft.KeyVault/vaults/kv1/accessPolicies/add",
        "Microsoft.KeyVault/vaults/accessPolicies/write",
        "{RG}/providers/Microsoft.KeyVault/vaults/kv1/accessPolicies/add",
    ),
    (
        "GET",
        "{RG}/providers/Microsoft.KeyVault/vaults/kv1/secrets/db-password",
        "Microsoft.KeyVault/vaults/secrets/read",
        "{RG}/providers/Microsoft.KeyVault/vaults/kv1/secrets/db-password",
    ),
    (
        "POST",
        "{SUB}/providers/Microsoft.KeyVault/checkNameAvailability",
        "Microsoft.KeyVault/checkNameAvailability/read",
        "{SUB}",
    ),
    // Azure ML workspaces and online endpoints
    (
        "GET",
        "{RG}/providers/Microsoft.MachineLearningServices/workspaces/ws1",
        "Microsoft.MachineLearningServices/workspaces/read",
        "{RG}/providers/Microsoft.MachineLearningServices/workspaces/ws1",
    ),
    (
        "POST",
        "{RG}/providers/Microsoft.MachineLearningServices/workspaces/ws1/listKeys",
        "Microsoft.MachineLearningServices/workspaces/listKeys/action",
        "{RG}/providers/Microsoft.MachineLearningServices/workspaces/ws1",
    ),
    (
        "PUT",
        "{RG}/providers/Microsoft.MachineLearningServices/workspaces/ws1/computes/cpu1",
        "Microsoft.MachineLearningServices/workspaces/computes/write",
        "{RG}/providers/Microsoft.MachineLearningServices/workspaces/ws1/computes/cpu1",
    ),
    (
        "POST",
        "{RG}/providers/Microsoft.MachineLearningServices/workspaces/ws1/computes/cpu1/start",
        "Microsoft.MachineLearningServices/workspaces/computes/start/action",
        "{RG}/providers/Microsoft.MachineLearningServices/workspaces/ws1/computes/cpu1",
    ),
    (
        "GET",
        "{RG}/providers/Microsoft.MachineLearningServices/workspaces/ws1/onlineEndpoints/ep1",
        "Microsoft.MachineLearningServices/workspaces/onlineEndpoints/read",
        "{RG}/providers/Microsoft.MachineLearningServices/workspaces/ws1/onlineEndpoints/ep1",
    ),
    (
        "GET",
        "{RG}/providers/Microsoft.MachineLearningServices/workspaces/ws1/onlineEndpoints",
        "Microsoft.MachineLearningServices/workspaces/onlineEndpoints/read",
        "{RG}/providers/Microsoft.MachineLearningServices/workspaces/ws1",
    ),
    (
        "PUT",
        "{RG}/providers/Microsoft.MachineLearningServices/workspaces/ws1/onlineEndpoints/ep1",
        "Microsoft.MachineLearningServices/workspaces/onlineEndpoints/write",
        "{RG}/providers/Microsoft.MachineLearningServices/workspaces/ws1/onlineEndpoints/ep1",
    ),
    (
        "PATCH",
        "{RG}/providers/Microsoft.MachineLearningServices/workspaces/ws1/onlineEndpoints/ep1",
        "Microsoft.MachineLearningServices/workspaces/onlineEndpoints/write",
        "{RG}/providers/Microsoft.MachineLearningServices/workspaces/ws1/onlineEndpoints/ep1",
    ),
    (
        "DELETE",
        "{RG}/providers/Microsoft.MachineLearningServices/workspaces/ws1/onlineEndpoints/ep1",
        "Microsoft.MachineLearningServices/workspaces/onlineEndpoints/delete",
        "{RG}/providers/Microsoft.MachineLearningServices/workspaces/ws1/onlineEndpoints/ep1",
    ),
    (
        "POST",
        "{RG}/providers/Microsoft.MachineLearningServices/workspaces/ws1/onlineEndpoints/ep1/token",
        "Microsoft.MachineLearningServices/workspaces/onlineEndpoints/token/action",
        "{RG}/providers/Microsoft.MachineLearningServices/workspaces/ws1/onlineEndpoints/ep1",
    ),
    (
        "POST",
        "{RG}/providers/Microsoft.MachineLearningServices/workspaces/ws1/onlineEndpoints/ep1/listKeys",
        "Microsoft.MachineLearningServices/workspaces/onlineEndpoints/listKeys/action",
        "{RG}/providers/Microsoft.MachineLearningServices/workspaces/ws1/onlineEndpoints/ep1",
    ),
    (
        "POST",
        "{RG}/providers/Microsoft.MachineLearningServices/workspaces/ws1/onlineEndpoints/ep1/regenerateKeys",
        "Microsoft.MachineLearningServices/workspaces/onlineEndpoints/regenerateKeys/action",
        "{RG}/providers/Microsoft.MachineLearningServices/workspaces/ws1/onlineEndpoints/ep1",
    ),
    (
        "GET",
        "{RG}/providers/Microsoft.MachineLearningServices/workspaces/ws1/onlineEndpoints/ep1/deployments/blue",
        "Microsoft.MachineLearningServices/workspaces/onlineEndpoints/deployments/read",
        "{RG}/providers/Microsoft.MachineLearningServices/workspaces/ws1/onlineEndpoints/ep1/deployments/blue",
    ),
    (
        "PUT",
        "{RG}/providers/Microsoft.MachineLearningServices/workspaces/ws1/onlineEndpoints/ep1/deployments/blue",
        "Microsoft.MachineLearningServices/workspaces/onlineEndpoints/deployments/write",
        "{RG}/providers/Microsoft.MachineLearningServices/workspaces/ws1/onlineEndpoints/ep1/deployments/blue",
    ),
    (
        "POST",
        "{RG}/providers/Microsoft.MachineLearningServices/workspaces/ws1/onlineEndpoints/ep1/deployments/blue/getLogs",
        "Microsoft.MachineLearningServices/workspaces/onlineEndpoints/deployments/getLogs/action",
        "{RG}/providers/Microsoft.MachineLearningServices/workspaces/ws1/onlineEndpoints/ep1/deployments/blue",
    ),
    // Role assignments and other extension resources: authorized at the scope they extend
    (
        "PUT",
        "{RG}/providers/Microsoft.Authorization/roleAssignments/7a1e8a34-0f5b-4f6e-9c1a-3b2d1e0f9a8b",
        "Microsoft.Authorization/roleAssignments/write",
        "{RG}",
    ),
    (
        "DELETE",
        "{SUB}/providers/Microsoft.Authorization/roleAssignments/7a1e8a34-0f5b-4f6e-9c1a-3b2d1e0f9a8b",
        "Microsoft.Authorization/roleAssignments/delete",
        "{SUB}",
    ),
    (
        "GET",
        "{RG}/providers/Microsoft.Authorization/roleAssignments",
        "Microsoft.Authorization/roleAssignments/read",
        "{RG}",
    ),
    (
        "PUT",
        "{RG}/providers/Microsoft.Compute/virtualMachines/vm1/providers/Microsoft.Authorization/roleAssignments/7a1e8a34-0f5b-4f6e-9c1a-3b2d1e0f9a8b",
        "Microsoft.Authorization/roleAssignments/write",
        "{RG}/providers/Microsoft.Compute/virtualMachines/vm1",
    ),
    (
        "PUT",
        "/providers/Microsoft.Management/managementGroups/platform/providers/Microsoft.Authorization/roleAssignments/7a1e8a34-0f5b-4f6e-9c1a-3b2d1e0f9a8b",
        "Microsoft.Authorization/roleAssignments/write",
        "/providers/Microsoft.Management/managementGroups/platform",
    ),
    (
        "PUT",
        "/providers/Microsoft.Authorization/roleAssignments/7a1e8a34-0f5b-4f6e-9c1a-3b2d1e0f9a8b",
        "Microsoft.Authorization/roleAssignments/write",
        "/",
    ),
    (
        "PUT",
        "{SUB}/providers/Microsoft.Authorization/roleDefinitions/5d4f2e8a-0000-4000-8000-00000000abcd",
        "Microsoft.Authorization/roleDefinitions/write",
        "{SUB}",
    ),
    (
        "PUT",
        "{RG}/providers/Microsoft.Authorization/locks/do-not-delete",
        "Microsoft.Authorization/locks/write",
        "{RG}",
    ),
    (
        "PUT",
        "{SUB}/providers/Microsoft.Authorization/policyAssignments/allowed-locations",
        "Microsoft.Authorization/policyAssignments/write",
        "{SUB}",
    ),
    (
        "GET",
        "{SUB}/providers/Microsoft.Authorization/denyAssignments",
        "Microsoft.Authorization/denyAssignments/read",
        "{SUB}",
    ),
    ("GET", "{RG}/providers/Microsoft.Authorization/permissions", "Microsoft.Authorization/permissions/read", "{RG}"),
    (
        "POST",
        "/providers/Microsoft.Authorization/elevateAccess?api-version=2016-07-01",
        "Microsoft.Authorization/elevateAccess/action",
        "/",
    ),
    (
        "PUT",
        "{RG}/providers/Microsoft.Compute/virtualMachines/vm1/providers/Microsoft.Insights/diagnosticSettings/to-law",
        "Microsoft.Compute/virtualMachines/providers/Microsoft.Insights/diagnosticSettings/write",
        "{RG}/providers/Microsoft.Compute/virtualMachines/vm1",
    ),
    (
        "GET",
        "{RG}/providers/Microsoft.KeyVault/vaults/kv1/providers/Microsoft.Insights/diagnosticSettings/to-law",
        "Microsoft.KeyVault/vaults/providers/Microsoft.Insights/diagnosticSettings/Read",
        "{RG}/providers/Microsoft.KeyVault/vaults/kv1",
    ),
    // Resource groups, subscriptions, deployments, tags
    ("GET", "{RG}", "Microsoft.Resources/subscriptions/resourceGroups/read", "{RG}"),
    ("PUT", "{RG}?api-version=2021-04-01", "Microsoft.Resources/subscriptions/resourceGroups/write", "{RG}"),
    ("DELETE", "{RG}", "Microsoft.Resources/subscriptions/resourceGroups/delete", "{RG}"),
    ("GET", "{SUB}/resourceGroups", "Microsoft.Resources/subscriptions/resourceGroups/read", "{SUB}"),
    (
        "GET",
        "{SUB}/resourcegroups/rg-prod/resources",
        "Microsoft.Resources/subscriptions/resourcegroups/resources/read",
        "{SUB}/resourcegroups/rg-prod",
    ),
    ("POST", "{RG}/moveResources", "Microsoft.Resources/subscriptions/resourceGroups/moveResources/action", "{RG}"),
    ("GET", "{SUB}", "Microsoft.Resources/subscriptions/read", "{SUB}"),
    ("GET", "/subscriptions?api-version=2022-12-01", "Microsoft.Resources/subscriptions/read", "/"),
    ("GET", "{SUB}/locations", "Microsoft.Resources/subscriptions/locations/read", "{SUB}"),
    (
        "PUT",
        "{SUB}/tagNames/costCenter",
        "Microsoft.Resources/subscriptions/tagNames/write",
        "{SUB}/tagNames/costCenter",
    ),
    ("GET", "{SUB}/providers", "Microsoft.Resources/subscriptions/providers/read", "{SUB}"),
    ("GET", "{SUB}/providers/Microsoft.Compute", "Microsoft.Resources/subscriptions/providers/read", "{SUB}"),
    ("GET", "/tenants", "Microsoft.Resources/tenants/read", "/"),
    (
        "PUT",
        "{RG}/providers/Microsoft.Resources/deployments/deploy1",
        "Microsoft.Resources/deployments/write",
        "{RG}/providers/Microsoft.Resources/deployments/deploy1",
    ),
    (
        "GET",
        "{RG}/providers/Microsoft.Resources/deployments/deploy1",
        "Microsoft.Resources/deployments/read",
        "{RG}/providers/Microsoft.Resources/deployments/deploy1",
    ),
    (
        "POST",
        "{RG}/providers/Microsoft.Resources/deployments/deploy1/validate",
        "Microsoft.Resources/deployments/validate/action",
        "{RG}/providers/Microsoft.Resources/deployments/deploy1",
    ),
    // Management groups
    (
        "GET",
        "/providers/Microsoft.Management/managementGroups/platform",
        "Microsoft.Management/managementGroups/read",
        "/providers/Microsoft.Management/managementGroups/platform",
    ),
    (
        "PUT",
        "/providers/Microsoft.Management/managementGroups/platform",
        "Microsoft.Management/managementGroups/write",
        "/providers/Microsoft.Management/managementGroups/platform",
    ),
    (
        "DELETE",
        "/providers/Microsoft.Management/managementGroups/platform",
        "Microsoft.Management/managementGroups/delete",
        "/providers/Microsoft.Management/managementGroups/platform",
    ),
    ("GET", "/providers/Microsoft.Management/managementGroups", "Microsoft.Management/managementGroups/read", "/"),
    (
        "PUT",
        "/providers/Microsoft.Management/managementGroups/platform/subscriptions/0b1f6471-1bf0-4dda-aec3-cb9272f09590",
        "Microsoft.Management/managementGroups/subscriptions/write",
        "/providers/Microsoft.Management/managementGroups/platform/subscriptions/0b1f6471-1bf0-4dda-aec3-cb9272f09590",
    ),
    // Web, SQL, AKS, ACR, monitoring, others
    (
        "POST",
        "{RG}/providers/Microsoft.Web/sites/app1/restart",
        "Microsoft.Web/sites/restart/action",
        "{RG}/providers/Microsoft.Web/sites/app1",
    ),
    (
        "POST",
        "{RG}/providers/Microsoft.Web/sites/app1/config/appsettings/list",
        "Microsoft.Web/sites/config/list/action",
        "{RG}/providers/Microsoft.Web/sites/app1/config/appsettings",
    ),
    (
        "GET",
        "{RG}/providers/Microsoft.Web/sites/app1/slots/staging",
        "Microsoft.Web/sites/slots/read",
        "{RG}/providers/Microsoft.Web/sites/app1/slots/staging",
    ),
    (
        "PUT",
        "{RG}/providers/Microsoft.Web/serverfarms/plan1",
        "Microsoft.Web/serverfarms/write",
        "{RG}/providers/Microsoft.Web/serverfarms/plan1",
    ),
    (
        "PUT",
        "{RG}/providers/Microsoft.Sql/servers/sql1/databases/db1",
        "Microsoft.Sql/servers/databases/write",
        "{RG}/providers/Microsoft.Sql/servers/sql1/databases/db1",
    ),
    (
        "PUT",
        "{RG}/providers/Microsoft.Sql/servers/sql1/firewallRules/office",
        "Microsoft.Sql/servers/firewallRules/write",
        "{RG}/providers/Microsoft.Sql/servers/sql1/firewallRules/office",
    ),
    (
        "POST",
        "{RG}/providers/Microsoft.ContainerService/managedClusters/aks1/listClusterAdminCredential",
        "Microsoft.ContainerService/managedClusters/listClusterAdminCredential/action",
        "{RG}/providers/Microsoft.ContainerService/managedClusters/aks1",
    ),
    (
        "GET",
        "{RG}/providers/Microsoft.ContainerService/managedClusters/aks1",
        "Microsoft.ContainerService/managedClusters/read",
        "{RG}/providers/Microsoft.ContainerService/managedClusters/aks1",
    ),
    (
        "POST",
        "{RG}/providers/Microsoft.ContainerRegistry/registries/acr1/listCredentials",
        "Microsoft.ContainerRegistry/registries/listCredentials/action",
        "{RG}/providers/Microsoft.ContainerRegistry/registries/acr1",
    ),
    (
        "PUT",
        "{RG}/providers/Microsoft.ContainerRegistry/registries/acr1",
        "Microsoft.ContainerRegistry/registries/write",
        "{RG}/providers/Microsoft.ContainerRegistry/registries/acr1",
    ),
    (
        "POST",
        "{RG}/providers/Microsoft.OperationalInsights/workspaces/law1/sharedKeys",
        "Microsoft.OperationalInsights/workspaces/sharedKeys/action",
        "{RG}/providers/Microsoft.OperationalInsights/workspaces/law1",
    ),
    (
        "POST",
        "{RG}/providers/Microsoft.EventHub/namespaces/eh1/authorizationRules/RootManageSharedAccessKey/listKeys",
        "Microsoft.EventHub/namespaces/authorizationRules/listKeys/action",
        "{RG}/providers/Microsoft.EventHub/namespaces/eh1/authorizationRules/RootManageSharedAccessKey",
    ),
    (
        "POST",
        "{RG}/providers/Microsoft.Cache/redis/cache1/listKeys",
        "Microsoft.Cache/redis/listKeys/action",
        "{RG}/providers/Microsoft.Cache/redis/cache1",
    ),
    (
        "POST",
        "{RG}/providers/Microsoft.DocumentDB/databaseAccounts/cosmos1/listKeys",
        "Microsoft.DocumentDB/databaseAccounts/listKeys/action",
        "{RG}/providers/Microsoft.DocumentDB/databaseAccounts/cosmos1",
    ),
    (
        "POST",
        "{RG}/providers/Microsoft.CognitiveServices/accounts/oai1/listKeys",
        "Microsoft.CognitiveServices/accounts/listKeys/action",
        "{RG}/providers/Microsoft.CognitiveServices/accounts/oai1",
    ),
    (
        "PUT",
        "{RG}/providers/Microsoft.App/containerApps/app1",
        "Microsoft.App/containerApps/write",
        "{RG}/providers/Microsoft.App/containerApps/app1",
    ),
    (
        "POST",
        "{RG}/providers/Microsoft.Logic/workflows/wf1/run",
        "Microsoft.Logic/workflows/run/action",
        "{RG}/providers/Microsoft.Logic/workflows/wf1",
    ),
    (
        "PUT",
        "{RG}/providers/Microsoft.Automation/automationAccounts/aa1/runbooks/rb1",
        "Microsoft.Automation/automationAccounts/runbooks/write",
        "{RG}/providers/Microsoft.Automation/automationAccounts/aa1/runbooks/rb1",
    ),
    // Case is the caller's: keywords match in any case, the scope keeps the path's spelling
    (
        "GET",
        "/SUBSCRIPTIONS/s1/RESOURCEGROUPS/RG/PROVIDERS/microsoft.compute/VIRTUALMACHINES/vm1",
        "Microsoft.Compute/virtualMachines/read",
        "/SUBSCRIPTIONS/s1/RESOURCEGROUPS/RG/PROVIDERS/microsoft.compute/VIRTUALMACHINES/vm1",
    ),
];

fn expand(s: &str) -> String {
    s.replace("{RG}", RG).replace("{SUB}", SUB)
}

#[test]
fn real_arm_requests_map_to_catalog_operations_at_their_scope() {
    assert!(CASES.len() >= 80, "{} cases", CASES.len());
    let catalog = Catalog::builtin();
    let mut failures = Vec::new();
    for &(method, path, action, scope) in CASES {
        assert_ne!(catalog.plane(action), PlaneAnswer::Unknown, "expected operation `{action}` is not in the catalog");
        let path = expand(path);
        match map(method, &path) {
            Ok(t) => {
                if !t.action.eq_ignore_ascii_case(action) || t.scope != expand(scope) || t.operation != Operation::Known
                {
                    failures.push(format!(
                        "{method} {path}\n  got      {} at {} ({:?})\n  expected {action} at {}",
                        t.action,
                        t.scope,
                        t.operation,
                        expand(scope)
                    ));
                }
            }
            Err(e) => failures.push(format!("{method} {path}: {e}")),
        }
    }
    assert!(failures.is_empty(), "{} of {} cases:\n{}", failures.len(), CASES.len(), failures.join("\n"));
}

/// `(method, raw path, the refusal, the refused byte range)`.
const REFUSED: &[(&str, &str, Refusal, (usize, usize))] = &[
    ("DELETE", "/subscriptions/s1/resourceGroups/rg%2F..%2Fprod", Refusal::PercentEscape, (35, 38)),
    ("GET", "/subscriptions/s1/resourceGroups/rg%2fother", Refusal::PercentEscape, (35, 38)),
    ("GET", "/subscriptions/s1/resourceGroups/rg%5Cother", Refusal::PercentEscape, (35, 38)),
    ("GET", "/subscriptions/s1%2Fx", Refusal::PercentEscape, (17, 20)),
    ("GET", "/subscriptions/s1/resourceGroups/r%41", Refusal::PercentEscape, (34, 37)),
    ("GET", "/subscriptions/s1/resourceGroups/rg%", Refusal::PercentEscape, (35, 36)),
    ("GET", "/%73ubscriptions/s1", Refusal::PercentEscape, (1, 4)),
    (
        "PUT",
        "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1%00",
        Refusal::PercentEscape,
        (83, 86),
    ),
    ("DELETE", "/subscriptions/s1/resourceGroups/rg/../prod", Refusal::DotSegment, (36, 38)),
    ("DELETE", "/subscriptions/s1/resourceGroups/./prod", Refusal::DotSegment, (33, 34)),
    (
        "GET",
        "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1/..",
        Refusal::DotSegment,
        (84, 86),
    ),
    ("GET", "/subscriptions/s1//resourceGroups/rg", Refusal::EmptySegment, (17, 18)),
    ("GET", "//subscriptions/s1", Refusal::EmptySegment, (0, 1)),
    ("GET", "/subscriptions/s1/resourceGroups/rg/", Refusal::EmptySegment, (35, 36)),
    ("DELETE", "/subscriptions/s1/resourceGroups/rg\\..\\prod", Refusal::Backslash, (35, 36)),
    ("GET", "/subscriptions/s1\\resourceGroups\\rg", Refusal::Backslash, (17, 18)),
    ("GET", "/subscriptions/s1/resourceGroups/rg\u{0}", Refusal::ControlCharacter, (35, 36)),
    ("GET", "/subscriptions/s1/resourceGroups/rg\r\nX-Injected: 1", Refusal::ControlCharacter, (35, 36)),
    ("GET", "/subscriptions/s1/resourceGroups/r\tg", Refusal::ControlCharacter, (34, 35)),
    ("GET", "/subscriptions/s1/resourceGroups/rg\u{7f}", Refusal::ControlCharacter, (35, 36)),
    ("GET", "/subscriptions/s1/resourceGroups/\u{212a}elvin", Refusal::NonAscii, (33, 36)),
    ("GET", "/subscriptions/s1/resourceGroups/\u{0441}ontoso", Refusal::NonAscii, (33, 35)),
    ("GET", "/subscriptions/s1/resourceGroups/rg\u{ff0f}x", Refusal::NonAscii, (35, 38)),
    ("GET", "/subscriptions/s1/resourceGroups/café", Refusal::NonAscii, (36, 38)),
    ("GET", "subscriptions/s1", Refusal::NotAbsolute, (0, 1)),
    ("GET", "https://management.azure.com/subscriptions/s1", Refusal::NotAbsolute, (0, 1)),
    ("GET", "", Refusal::NotAbsolute, (0, 0)),
    ("GET", "/subscriptions/s1/resourceGroups/rg#frag", Refusal::Fragment, (35, 36)),
    ("GET", "*", Refusal::NotAbsolute, (0, 1)),
    ("GET", "/subscriptions/s1/resourceGroups/rg;/../x", Refusal::DotSegment, (37, 39)),
];

#[test]
fn adversarial_paths_are_refused_with_the_offending_bytes() {
    for &(method, path, refusal, (start, end)) in REFUSED {
        match map(method, path) {
            Err(MapError::Refused { refusal: r, at }) => {
                assert_eq!((r, at.start, at.end), (refusal, start, end), "{path:?}");
            }
            other => panic!("{path:?} mapped: {other:?}"),
        }
    }
}

#[test]
fn other_shapes_are_errors_not_guesses() {
    let long = format!("{RG}/providers/Microsoft.Compute/virtualMachines/{}", "a".repeat(4100));
    assert!(matches!(map("GET", &long), Err(MapError::TooLong { .. })));
    for method in ["OPTIONS", "TRACE", "CONNECT", "get", "PROPFIND", ""] {
        assert!(matches!(map(method, RG), Err(MapError::Method { .. })), "{method}");
    }
    let shapes = [
        ("GET", "/"),
        ("GET", "/foo/bar"),
        ("GET", "/metadata/endpoints"),
        ("PUT", "/subscriptions"),
        ("DELETE", &format!("{RG}/providers/Microsoft.Compute/virtualMachines")),
        ("POST", &format!("{RG}/providers/Microsoft.Compute/virtualMachines/vm1")),
        ("GET", &format!("{RG}/providers/Microsoft_Compute/virtualMachines/vm1")),
    ];
    for (method, path) in shapes {
        assert!(matches!(map(method, path), Err(MapError::Shape { .. })), "{method} {path}: {:?}", map(method, path));
    }
}

#[test]
fn the_query_never_becomes_part_of_the_scope() {
    let vm = format!("{RG}/providers/Microsoft.Compute/virtualMachines/vm1");
    for q in ["?api-version=2024-03-01", "?api-version=2024-03-01&$expand=instanceView", "?", "?a=/../b&c=%2F"] {
        let t = map("PUT", &format!("{vm}{q}")).unwrap();
        assert_eq!(t.scope, vm, "{q}");
    }
}

#[test]
fn an_unknown_operation_is_still_checked_with_a_suggestion() {
    let t = map("GET", &format!("{RG}/providers/Microsoft.Compute/virtualMachine/vm1")).unwrap();
    assert_eq!(t.action, "Microsoft.Compute/virtualMachine/read");
    assert_eq!(t.operation, Operation::Unknown);
    assert_eq!(did_you_mean(&t.action).as_deref(), Some("Microsoft.Compute/virtualMachines/read"));
    let t = map("POST", &format!("{RG}/providers/Contoso.Widgets/widgets/w1/polish")).unwrap();
    assert_eq!(t.action, "Contoso.Widgets/widgets/polish/action");
    assert_eq!(t.operation, Operation::Unknown);
    assert_eq!(did_you_mean(&t.action), None);
}

/// A byte the mapping refuses, and where it may appear.
fn refused_feature() -> impl Strategy<Value = &'static str> {
    prop_oneof![
        Just("%2F"),
        Just("%2f"),
        Just("%5C"),
        Just("%2e"),
        Just("%"),
        Just("%41"),
        Just("\\"),
        Just("\u{0}"),
        Just("\n"),
        Just("\u{7f}"),
        Just("\u{212a}"),
        Just("é"),
        Just("#"),
    ]
}

proptest! {
    /// A path with any refused feature in any position of its path part never maps.
    #[test]
    fn a_refused_feature_anywhere_in_the_path_never_maps(
        cut in 0usize..200,
        feature in refused_feature(),
        method in prop_oneof![Just("GET"), Just("PUT"), Just("DELETE"), Just("POST"), Just("PATCH"), Just("HEAD")],
    ) {
        let base = format!("{RG}/providers/Microsoft.MachineLearningServices/workspaces/ws1/onlineEndpoints/ep1/listKeys");
        let at = cut % (base.len() + 1);
        // Only char boundaries; the base is ASCII.
        let path = format!("{}{feature}{}", &base[..at], &base[at..]);
        prop_assert!(map(method, &path).is_err(), "{} mapped", path.escape_debug());
    }

    /// Dot and empty segments anywhere are refused.
    #[test]
    fn dot_and_empty_segments_never_map(cut in 0usize..12, seg in prop_oneof![Just("."), Just(".."), Just("")]) {
        let parts: Vec<&str> = RG.split('/').skip(1).chain(["providers", "Microsoft.Compute", "virtualMachines", "vm1"]).collect();
        let at = cut % (parts.len() + 1);
        let mut with: Vec<&str> = parts.clone();
        with.insert(at, seg);
        let path = format!("/{}", with.join("/"));
        prop_assert!(matches!(map("GET", &path), Err(MapError::Refused { .. })), "{path}");
    }
}
