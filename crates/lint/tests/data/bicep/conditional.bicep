// A role deployed only in production, beside resources that are no role definitions.
param environment string = 'prod'

resource logs 'Microsoft.Storage/storageAccounts@2023-01-01' = {
  name: 'logs${uniqueString(resourceGroup().id)}'
  location: resourceGroup().location
  sku: { name: 'Standard_LRS' }
  kind: 'StorageV2'
  properties: { supportsHttpsTrafficOnly: true }
}

// An existing role is referenced, not declared: it is not linted here.
resource reader 'Microsoft.Authorization/roleDefinitions@2022-04-01' existing = {
  scope: subscription()
  name: 'acdd72a7-3385-48ef-bd42-f606fba81ae7'
}

// A module's role definitions are linted in the module's own file.
module roles './docs-literal.bicep' = {
  name: 'roles'
  scope: subscription()
}

resource ops 'Microsoft.Authorization/roleDefinitions@2022-04-01' = if (environment == 'prod') {
  name: '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d'
  properties: {
    roleName: 'Production Operator'
    description: 'Restarts VMs and reads secrets: Key Vault\'s data plane is here too.'
    permissions: [
      {
        actions: ['Microsoft.Compute/virtualMachines/*', 'Microsoft.KeyVault/vaults/read']
        dataActions: ['Microsoft.KeyVault/vaults/secrets/getSecret/action']
      }
    ]
    assignableScopes: ['/providers/Microsoft.Management/managementGroups/prod']
  }
  dependsOn: [logs]
}
